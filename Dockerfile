# One image for every service; docker-compose picks the service by command.
# The services run compiled to JavaScript (npm run build): lighter than Node's type stripping.
# NODE_IMAGE selects another Node 24 base, e.g. the one `npm run compose:images` builds offline.
# No `# syntax=` line: it would make BuildKit fetch its frontend from a registry.
ARG NODE_IMAGE=node:24-slim

FROM ${NODE_IMAGE} AS deps
WORKDIR /app
# Extra CA certificates npm trusts here, for registries reached through a TLS-intercepting proxy:
# .build-ca/ca.crt when present. This stage is not part of the published image.
COPY .build-ca/ /tmp/build-ca/
COPY package.json package-lock.json ./
COPY packages/shared/package.json packages/shared/
COPY packages/sandbox/package.json packages/sandbox/
COPY services/ingress/package.json services/ingress/
COPY services/sms/package.json services/sms/
COPY services/onboarding/package.json services/onboarding/
COPY services/summarizer/package.json services/summarizer/
COPY services/voice/package.json services/voice/
RUN if [ -f /tmp/build-ca/ca.crt ]; then export NODE_EXTRA_CA_CERTS=/tmp/build-ca/ca.crt; fi \
  && npm ci --omit=dev --ignore-scripts --no-audit --no-fund

FROM deps AS build
RUN if [ -f /tmp/build-ca/ca.crt ]; then export NODE_EXTRA_CA_CERTS=/tmp/build-ca/ca.crt; fi \
  && npm ci --ignore-scripts --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY packages ./packages
COPY services ./services
RUN node node_modules/typescript/bin/tsc -b tsconfig.build.json

FROM ${NODE_IMAGE} AS runtime
ENV NODE_ENV=production
# Workspace packages resolve to their compiled dist/; a small young generation keeps idle services small.
ENV NODE_OPTIONS="--conditions=series-killer-dist --max-semi-space-size=2"
WORKDIR /app
COPY --from=deps /app ./
COPY tsconfig.json ./
COPY db ./db
COPY packages ./packages
COPY services ./services
COPY scripts ./scripts
COPY --from=build /app/packages/shared/dist packages/shared/dist
COPY --from=build /app/packages/sandbox/dist packages/sandbox/dist
COPY --from=build /app/services/ingress/dist services/ingress/dist
COPY --from=build /app/services/sms/dist services/sms/dist
COPY --from=build /app/services/onboarding/dist services/onboarding/dist
COPY --from=build /app/services/summarizer/dist services/summarizer/dist
COPY --from=build /app/services/voice/dist services/voice/dist
USER node
EXPOSE 3000 3100 3200
CMD ["node", "services/ingress/dist/main.js"]
