# syntax=docker/dockerfile:1
# One image for every service; docker-compose picks the service by command.
# Node 24 runs the TypeScript sources directly (type stripping), so there is no build step.

FROM node:24-slim AS deps
WORKDIR /app
COPY package.json package-lock.json ./
COPY packages/shared/package.json packages/shared/
COPY packages/sandbox/package.json packages/sandbox/
COPY services/ingress/package.json services/ingress/
COPY services/sms/package.json services/sms/
COPY services/onboarding/package.json services/onboarding/
COPY services/summarizer/package.json services/summarizer/
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund

FROM node:24-slim AS runtime
ENV NODE_ENV=production
WORKDIR /app
COPY --from=deps /app ./
COPY tsconfig.json ./
COPY db ./db
COPY packages ./packages
COPY services ./services
COPY scripts ./scripts
USER node
EXPOSE 3000 3100
CMD ["node", "services/ingress/src/main.ts"]
