import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from '@jest/globals';
import { loadConfig } from '@series-killer/shared';
import { parse } from 'yaml';

const root = new URL('../../', import.meta.url);
const read = (path: string) => readFileSync(new URL(path, root), 'utf8');

interface ComposeService {
  image?: string;
  build?: string;
  command?: string[];
  environment?: Record<string, string>;
  ports?: string[];
  profiles?: string[];
  depends_on?: Record<string, { condition: string }>;
  healthcheck?: { test: string[] };
}

const compose = parse(read('docker-compose.yml'), { merge: true }) as { services: Record<string, ComposeService> };
const services = compose.services;
const APP_SERVICES = ['migrate', 'ingress', 'sms', 'onboarding', 'summarizer', 'sandbox'];

/** Docker Compose's `${VAR:-default}` interpolation against a given host environment. */
function interpolate(value: string, host: Record<string, string>): string {
  return String(value).replace(/\$\{(\w+)(?::-([^}]*))?\}/g, (_, name: string, fallback = '') =>
    host[name] ? (host[name] as string) : fallback,
  );
}

function environmentOf(name: string, host: Record<string, string> = {}): Record<string, string> {
  const env = services[name]?.environment ?? {};
  return Object.fromEntries(Object.entries(env).map(([key, value]) => [key, interpolate(value, host)]));
}

/** `SANDBOX=1 docker compose --profile sandbox up`: sandbox mode is asked for, never inferred. */
const SANDBOX_HOST = { SANDBOX: '1' };

const PRODUCTION_HOST = {
  TWILIO_ACCOUNT_SID: `AC${'a'.repeat(32)}`,
  TWILIO_AUTH_TOKEN: 'auth-token',
  TWILIO_FROM_NUMBER: '+15551234567',
  OPENAI_API_KEY: 'sk-live',
  VERIFICATION_CODE_SECRET: 'a-long-verification-secret',
  INTERNAL_API_TOKEN: 'an-internal-api-token-of-length',
  PUBLIC_BASE_URL: 'https://sk.example.com',
};

describe('docker-compose.yml', () => {
  it.each(APP_SERVICES)('%s gets a valid configuration in sandbox mode', (name) => {
    const config = loadConfig(environmentOf(name, SANDBOX_HOST));
    expect(config.sandbox.enabled).toBe(true);
    expect(config.twilio.apiBaseUrl).toBe('http://sandbox:3100');
    expect(config.openai.baseUrl).toBe('http://sandbox:3100/v1');
  });

  it.each(APP_SERVICES)('%s gets every production setting passed through from the host', (name) => {
    const config = loadConfig(environmentOf(name, PRODUCTION_HOST));
    expect(config.sandbox.enabled).toBe(false);
    expect(config.twilio.accountSid).toBe(PRODUCTION_HOST.TWILIO_ACCOUNT_SID);
    expect(config.twilio.apiBaseUrl).toBeUndefined();
    expect(config.openai.apiKey).toBe(PRODUCTION_HOST.OPENAI_API_KEY);
    expect(config.onboarding.verificationCodeSecret).toBe(PRODUCTION_HOST.VERIFICATION_CODE_SECRET);
    expect(config.http.publicBaseUrl).toBe(PRODUCTION_HOST.PUBLIC_BASE_URL);
  });

  it.each(APP_SERVICES)('%s reaches Postgres and Redis by their service names', (name) => {
    const config = loadConfig(environmentOf(name, SANDBOX_HOST));
    expect(new URL(config.database.url).host).toBe('postgres:5432');
    expect(new URL(config.redis.url).host).toBe('redis:6379');
    expect(services.postgres?.ports).toContain('127.0.0.1:5432:5432');
    expect(services.redis?.ports).toContain('127.0.0.1:6379:6379');
  });

  it('publishes the ingress on the port it listens on, and Twilio-facing URLs agree with it', () => {
    const config = loadConfig(environmentOf('ingress', SANDBOX_HOST));
    expect(services.ingress?.ports).toContain(`${config.http.port}:${config.http.port}`);
    const publicUrl = new URL(config.http.publicBaseUrl);
    expect(publicUrl.hostname).toBe('ingress');
    expect(Number(publicUrl.port)).toBe(config.http.port);
    expect(services.ingress?.healthcheck?.test.join(' ')).toContain(`127.0.0.1:${config.http.port}/readyz`);
  });

  it('runs the sandbox only under the sandbox profile, on the host and port the services expect', () => {
    const sandbox = services.sandbox;
    expect(sandbox?.profiles).toEqual(['sandbox']);
    const config = loadConfig(environmentOf('sandbox', SANDBOX_HOST));
    expect(config.sandbox.host).toBe('sandbox');
    expect(sandbox?.ports).toContain(`${config.sandbox.port}:${config.sandbox.port}`);
  });

  it.each(APP_SERVICES)('%s runs an entry point that exists (or is compiled from one)', (name) => {
    const command = services[name]?.command ?? [];
    expect(command[0]).toBe('node');
    // dist/ is built inside the image (npm run build), from the same path under src/.
    const source = (command[1] as string).replace(/\/dist\/(.*)\.js$/, '/src/$1.ts');
    expect(existsSync(new URL(source, root))).toBe(true);
  });

  it('starts the services only after a successful migration and a healthy Redis', () => {
    expect(services.migrate?.depends_on).toEqual({ postgres: { condition: 'service_healthy' } });
    for (const name of ['ingress', 'sms', 'onboarding', 'summarizer']) {
      expect(services[name]?.depends_on).toEqual({
        migrate: { condition: 'service_completed_successfully' },
        redis: { condition: 'service_healthy' },
      });
    }
    expect(services.postgres?.healthcheck).toBeDefined();
    expect(services.redis?.healthcheck).toBeDefined();
  });

  it('pins the Supabase Postgres image and runs Redis with AOF and noeviction', () => {
    expect(services.postgres?.image).toMatch(/^supabase\/postgres:\d+\.\d+\.\d+\.\d+$/);
    const redis = (services.redis?.command ?? []).join(' ');
    expect(redis).toContain('--appendonly yes');
    expect(redis).toContain('--appendfsync everysec');
    expect(redis).toContain('--maxmemory-policy noeviction');
  });
});

describe('Dockerfile', () => {
  const dockerfile = read('Dockerfile');
  const rootPackage = JSON.parse(read('package.json')) as { workspaces: string[] };

  it('is multi-stage on Node 24 slim, installs production dependencies only, and runs as a non-root user', () => {
    const stages = dockerfile.match(/^FROM node:24-slim AS \w+$/gm) ?? [];
    expect(stages.length).toBeGreaterThanOrEqual(2);
    expect(dockerfile).toMatch(/npm ci --omit=dev/);
    expect(dockerfile).toMatch(/^USER node$/m);
  });

  it.each(rootPackage.workspaces)(
    'copies the compiled JavaScript of workspace %s into the runtime image',
    (workspace) => {
      expect(dockerfile).toContain(`COPY --from=build /app/${workspace}/dist ${workspace}/dist`);
    },
  );

  it('compiles the services in a build stage and runs workspace packages from their dist/', () => {
    expect(dockerfile).toMatch(/^FROM deps AS build$/m);
    expect(dockerfile).toContain('tsc -b tsconfig.build.json');
    expect(dockerfile).toMatch(/^ENV NODE_OPTIONS="--conditions=series-killer-dist --max-semi-space-size=2"$/m);
    expect(dockerfile).toMatch(/^CMD \["node", "services\/ingress\/dist\/main\.js"\]$/m);
  });

  it.each(rootPackage.workspaces)('copies the manifest of workspace %s before npm ci', (workspace) => {
    expect(dockerfile).toContain(`COPY ${workspace}/package.json ${workspace}/`);
  });
});
