import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from '@jest/globals';
import { configVariables, loadConfig, loadConfigSections, SERVICE_CONFIG_SECTIONS } from '@series-killer/shared';
import { parse } from 'yaml';
import { INGRESS_NODE_FLAGS, VOICE_NODE_FLAGS, VOICE_PROCESS_ENV, WORKER_NODE_FLAGS } from './stack-processes.ts';

const root = new URL('../../', import.meta.url);
const read = (path: string) => readFileSync(new URL(path, root), 'utf8');

interface ComposeService {
  image?: string;
  build?: string | { context: string; args?: Record<string, string> };
  command?: string[];
  environment?: Record<string, string>;
  ports?: string[];
  profiles?: string[];
  depends_on?: Record<string, { condition: string }>;
  healthcheck?: { test: string[] };
}

const parseCompose = (path: string) =>
  parse(read(path), { merge: true }) as { services: Record<string, ComposeService> };
const services = parseCompose('docker-compose.yml').services;
const APP_SERVICES = ['migrate', 'ingress', 'voice', 'sms', 'onboarding', 'summarizer', 'sandbox'];

/** Docker Compose's `${VAR:-default}` and `${VAR:?error}` interpolation against a given host environment. */
function interpolate(value: string, host: Record<string, string>): string {
  return String(value).replace(/\$\{(\w+)(?:(:-|:\?)([^}]*))?\}/g, (_, name: string, kind = ':-', text = '') => {
    if (host[name]) return host[name] as string;
    if (kind === ':?') throw new Error(text);
    return text;
  });
}

function environmentOf(name: string, host: Record<string, string> = {}): Record<string, string> {
  const env = services[name]?.environment ?? {};
  return Object.fromEntries(Object.entries(env).map(([key, value]) => [key, interpolate(value, host)]));
}

/** docker-compose.sandbox.env, the host environment of the sandbox profile. */
const SANDBOX_HOST_ENV = Object.fromEntries(
  read('docker-compose.sandbox.env')
    .split('\n')
    .filter((line) => /^[A-Z_]+=/.test(line))
    .map((line) => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)]),
);

/** What compose requires outside the sandbox profile. */
const REQUIRED_HOST_ENV = {
  POSTGRES_PASSWORD: 'a-postgres-password',
  REDIS_PASSWORD: 'a-redis-password',
  PUBLIC_BASE_URL: 'https://sk.example.com',
  VOICE_BOT_PUBLIC_URL: 'wss://voice.sk.example.com/voice/relay',
};

/** Secrets and the only services that read them: no other container may receive them. */
const SECRET_READERS: Record<string, string[]> = {
  TWILIO_AUTH_TOKEN: ['ingress', 'sms', 'voice'],
  OPENAI_API_KEY: ['summarizer', 'voice'],
  VERIFICATION_CODE_SECRET: ['onboarding'],
  SUPABASE_SERVICE_ROLE_KEY: ['ingress'],
  INTERNAL_API_TOKEN: ['ingress'],
  DASHBOARD_PASSWORD: ['ingress'],
  METRICS_TOKEN: ['ingress'],
  TWILIO_WEBHOOK_SHARED_KEY: ['ingress', 'voice'],
};

/** Production settings each service reads, passed through from the host. */
const PRODUCTION_SETTINGS: Record<string, Record<string, string>> = {
  migrate: { DATABASE_URL_DIRECT: 'postgres://postgres:secret@db.example.com:5432/postgres' },
  ingress: {
    PUBLIC_BASE_URL: 'https://sk.example.com',
    TWILIO_ACCOUNT_SID: `AC${'a'.repeat(32)}`,
    TWILIO_AUTH_TOKEN: 'auth-token',
    INTERNAL_API_TOKEN: 'an-internal-api-token-of-length',
    VOICE_BOT_WS_URL: 'wss://bot.example.com/relay',
  },
  sms: {
    PUBLIC_BASE_URL: 'https://sk.example.com',
    TWILIO_ACCOUNT_SID: `AC${'a'.repeat(32)}`,
    TWILIO_AUTH_TOKEN: 'auth-token',
    TWILIO_FROM_NUMBER: '+15551234567',
  },
  onboarding: { VERIFICATION_CODE_SECRET: 'a-long-verification-secret' },
  summarizer: { OPENAI_API_KEY: 'sk-live' },
  voice: {
    TWILIO_ACCOUNT_SID: `AC${'a'.repeat(32)}`,
    TWILIO_AUTH_TOKEN: 'auth-token',
    OPENAI_API_KEY: 'sk-live',
    VOICE_BOT_PUBLIC_URL: 'wss://voice.example.com/voice/relay',
  },
};

describe('docker-compose.yml', () => {
  it('migrate gets a valid database configuration and nothing else', () => {
    const config = loadConfigSections(
      SERVICE_CONFIG_SECTIONS['db:migrate'],
      environmentOf('migrate', SANDBOX_HOST_ENV),
    );
    expect(new URL(config.database.url).host).toBe('postgres:5432');
  });

  it.each(APP_SERVICES.filter((name) => name !== 'migrate'))(
    '%s gets a valid configuration in sandbox mode',
    (name) => {
      const config = loadConfig(environmentOf(name, SANDBOX_HOST_ENV));
      expect(config.sandbox.enabled).toBe(true);
      if (name === 'sms') expect(config.twilio.apiBaseUrl).toBe('http://sandbox:3100');
      if (name === 'summarizer') expect(config.openai.baseUrl).toBe('http://sandbox:3100/v1');
    },
  );

  it.each(Object.entries(SECRET_READERS))('%s reaches only the services that read it', (secret, readers) => {
    const receiving = Object.keys(services).filter((name) => secret in (services[name]?.environment ?? {}));
    expect(receiving.sort()).toEqual([...readers].sort());
  });

  it('gives the migration only the database', () => {
    expect(Object.keys(services.migrate?.environment ?? {}).sort()).toEqual(['DATABASE_URL', 'DATABASE_URL_DIRECT']);
  });

  it.each(Object.entries(PRODUCTION_SETTINGS))('%s gets its production settings from the host', (name, settings) => {
    const env = environmentOf(name, { ...REQUIRED_HOST_ENV, ...settings });
    for (const [key, value] of Object.entries(settings)) expect(env[key]).toBe(value);
  });

  it.each(['ingress', 'voice', 'sms', 'onboarding', 'summarizer'] as const)(
    '%s starts outside sandbox mode with what it is given from the host',
    (name) => {
      const host = Object.assign({ ...REQUIRED_HOST_ENV }, ...Object.values(PRODUCTION_SETTINGS));
      const config = loadConfigSections(SERVICE_CONFIG_SECTIONS[name], environmentOf(name, host));
      expect(config.sandbox.enabled).toBe(false);
    },
  );

  it.each(APP_SERVICES)('%s sets only variables the configuration knows (and the voice process its own)', (name) => {
    const unknown = Object.keys(services[name]?.environment ?? {}).filter(
      (key) => !(key in configVariables) && !(name === 'voice' && key in VOICE_PROCESS_ENV),
    );
    expect(unknown).toEqual([]);
  });

  it('keeps sandbox mode off unless the host sets SANDBOX=1, except in the sandbox itself', () => {
    for (const name of ['ingress', 'voice', 'sms', 'onboarding', 'summarizer']) {
      expect(environmentOf(name, REQUIRED_HOST_ENV).SANDBOX).toBe('0');
      expect(environmentOf(name, SANDBOX_HOST_ENV).SANDBOX).toBe('1');
    }
    expect(environmentOf('sandbox', REQUIRED_HOST_ENV).SANDBOX).toBe('1');
  });

  it.each(['ingress', 'sms', 'onboarding', 'summarizer'])(
    '%s reaches Postgres and Redis by their service names',
    (name) => {
      const config = loadConfig(environmentOf(name, SANDBOX_HOST_ENV));
      expect(new URL(config.database.url).host).toBe('postgres:5432');
      expect(new URL(config.redis.url).host).toBe('redis:6379');
    },
  );

  it.each(['ingress', 'sms', 'onboarding', 'summarizer'])(
    '%s serves its unpublished metrics port to the compose network, where Prometheus scrapes it',
    (name) => {
      const config = loadConfig(environmentOf(name, { ...SANDBOX_HOST_ENV, METRICS_PORT: '9400' }));
      expect(config.metrics).toMatchObject({ port: 9400, host: '0.0.0.0' });
      expect((services[name]?.ports ?? []).join(' ')).not.toContain('9400');
    },
  );

  it('publishes Postgres and Redis on loopback, on ports the host may move', () => {
    const published = (name: string, host: Record<string, string> = {}) =>
      (services[name]?.ports ?? []).map((port) => interpolate(port, host));
    expect(published('postgres')).toEqual(['127.0.0.1:5432:5432']);
    expect(published('redis')).toEqual(['127.0.0.1:6379:6379']);
    expect(published('postgres', { POSTGRES_HOST_PORT: '15432' })).toEqual(['127.0.0.1:15432:5432']);
    expect(published('redis', { REDIS_HOST_PORT: '15379' })).toEqual(['127.0.0.1:15379:6379']);
  });

  it('publishes the ingress on the port it listens on, and Twilio-facing URLs agree with it', () => {
    const config = loadConfig(environmentOf('ingress', SANDBOX_HOST_ENV));
    expect(services.ingress?.ports).toContain(`\${INGRESS_HOST_PORT:-${config.http.port}}:${config.http.port}`);
    const publicUrl = new URL(config.http.publicBaseUrl);
    expect(publicUrl.hostname).toBe('ingress');
    expect(Number(publicUrl.port)).toBe(config.http.port);
    expect(services.ingress?.healthcheck?.test.join(' ')).toContain(`127.0.0.1:${config.http.port}/readyz`);
  });

  it('publishes the voice service where the ingress sends Twilio, and checks its readiness', () => {
    const ingress = loadConfig(environmentOf('ingress', SANDBOX_HOST_ENV));
    const voice = loadConfig(environmentOf('voice', SANDBOX_HOST_ENV));
    expect(voice.voice.botPublicUrl).toBe(ingress.voice.botPublicUrl);
    const relay = new URL(ingress.voice.botPublicUrl);
    expect(relay.hostname).toBe('voice');
    expect(Number(relay.port)).toBe(voice.voiceBot.port);
    expect(voice.openai.baseUrl).toBe('http://sandbox:3100/v1');
    expect(services.voice?.ports).toContain(`\${VOICE_HOST_PORT:-${voice.voiceBot.port}}:${voice.voiceBot.port}`);
    expect(services.voice?.healthcheck?.test.join(' ')).toContain(`127.0.0.1:${voice.voiceBot.port}/readyz`);
  });

  it('runs the sandbox only under the sandbox profile, on the host and port the services expect', () => {
    const sandbox = services.sandbox;
    expect(sandbox?.profiles).toEqual(['sandbox']);
    const config = loadConfig(environmentOf('sandbox', SANDBOX_HOST_ENV));
    const sms = loadConfig(environmentOf('sms', SANDBOX_HOST_ENV));
    expect(config.sandbox.host).toBe('sandbox');
    expect(sms.sandbox.baseUrl).toBe(config.sandbox.baseUrl);
    // Loopback only: its control API lists every SMS, codes included, and sends signed webhooks.
    expect(sandbox?.ports).toEqual([`127.0.0.1:\${SANDBOX_HOST_PORT:-${config.sandbox.port}}:${config.sandbox.port}`]);
  });

  it.each(Object.keys(REQUIRED_HOST_ENV))('refuses to start without %s outside the sandbox profile', (missing) => {
    const host: Record<string, string> = { ...REQUIRED_HOST_ENV };
    delete host[missing];
    const refused = Object.keys(services).filter((name) => {
      try {
        environmentOf(name, host);
        return false;
      } catch (error) {
        expect((error as Error).message).toMatch(new RegExp(`^${missing} is required.*docker-compose.sandbox.env$`));
        return true;
      }
    });
    const readers: Record<string, string[]> = {
      POSTGRES_PASSWORD: ['postgres', 'migrate', 'ingress', 'voice', 'sms', 'onboarding', 'summarizer', 'sandbox'],
      REDIS_PASSWORD: ['redis', 'ingress', 'voice', 'sms', 'onboarding', 'summarizer'],
      PUBLIC_BASE_URL: ['ingress', 'voice', 'sms'],
      VOICE_BOT_PUBLIC_URL: ['ingress', 'voice'],
    };
    expect(refused.sort()).toEqual([...(readers[missing] ?? [])].sort());
  });

  it('gives the sandbox profile its required settings from docker-compose.sandbox.env, with SANDBOX=1', () => {
    expect(SANDBOX_HOST_ENV).toMatchObject({ SANDBOX: '1', PUBLIC_BASE_URL: 'http://ingress:3000' });
    expect(Object.keys(SANDBOX_HOST_ENV)).toEqual(expect.arrayContaining(Object.keys(REQUIRED_HOST_ENV)));
  });

  it('runs Redis with a password that every REDIS_URL and the health check carry', () => {
    const command = (services.redis?.command ?? []).map((part) => interpolate(part, REQUIRED_HOST_ENV));
    expect(command.slice(command.indexOf('--requirepass'))).toEqual(['--requirepass', 'a-redis-password']);
    expect(environmentOf('redis', REQUIRED_HOST_ENV).REDISCLI_AUTH).toBe('a-redis-password');
    for (const name of ['ingress', 'sms', 'onboarding', 'summarizer']) {
      const config = loadConfig(environmentOf(name, SANDBOX_HOST_ENV));
      expect(new URL(config.redis.url).password).toBe(SANDBOX_HOST_ENV.REDIS_PASSWORD);
    }
  });

  it('gives Postgres the password every DATABASE_URL carries', () => {
    expect(environmentOf('postgres', REQUIRED_HOST_ENV).POSTGRES_PASSWORD).toBe('a-postgres-password');
    for (const name of APP_SERVICES) {
      const url = environmentOf(name, REQUIRED_HOST_ENV).DATABASE_URL;
      if (url) expect(new URL(url).password).toBe('a-postgres-password');
    }
  });

  it.each(APP_SERVICES)('%s runs an entry point that exists (or is compiled from one)', (name) => {
    const command = services[name]?.command ?? [];
    expect(command[0]).toBe('node');
    // dist/ is built inside the image (npm run build), from the same path under src/.
    const source = (command.at(-1) as string).replace(/\/dist\/(.*)\.js$/, '/src/$1.ts');
    expect(existsSync(new URL(source, root))).toBe(true);
  });

  it.each(['sms', 'onboarding', 'summarizer'])('%s runs with the Node flags npm start gives a worker', (name) => {
    const command = services[name]?.command ?? [];
    expect(command.slice(1, -1)).toEqual(WORKER_NODE_FLAGS);
  });

  it('runs the voice service with the Node flags and the environment npm start gives it', () => {
    expect(services.voice?.command).toEqual(['node', ...VOICE_NODE_FLAGS, 'services/voice/dist/main.js']);
    expect(services.voice?.environment).toMatchObject(VOICE_PROCESS_ENV);
  });

  it('runs the ingress with the Node flags npm start gives it', () => {
    expect(services.ingress?.command).toEqual(['node', ...INGRESS_NODE_FLAGS, 'services/ingress/dist/main.js']);
  });

  it('starts the services only after a successful migration and a healthy Redis', () => {
    expect(services.migrate?.depends_on).toEqual({ postgres: { condition: 'service_healthy' } });
    for (const name of ['ingress', 'voice', 'sms', 'onboarding', 'summarizer']) {
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

describe('docker-compose.offline.yml', () => {
  const offline = parseCompose('docker-compose.offline.yml').services;
  const lib = read('scripts/compose/lib.sh');

  it('swaps in the images compose:images builds, and only the images', () => {
    expect(lib).toContain(`POSTGRES_IMAGE=${offline.postgres?.image}`);
    expect(lib).toContain(`REDIS_IMAGE=${offline.redis?.image}`);
    for (const name of APP_SERVICES) {
      const build = offline[name]?.build as unknown as { args: { NODE_IMAGE: string } };
      expect(lib).toContain(`NODE_IMAGE=${build.args.NODE_IMAGE}`);
      expect(Object.keys(offline[name] ?? {})).toEqual(['build']);
    }
  });
});

describe('Dockerfile', () => {
  const dockerfile = read('Dockerfile');
  const rootPackage = JSON.parse(read('package.json')) as { workspaces: string[] };

  it('is multi-stage on Node 24 slim, installs production dependencies only, and runs as a non-root user', () => {
    expect(dockerfile).toMatch(/^ARG NODE_IMAGE=node:24-slim$/m);
    const stages = dockerfile.match(/^FROM \$\{NODE_IMAGE\} AS \w+$/gm) ?? [];
    expect(stages.length).toBeGreaterThanOrEqual(2);
    expect(dockerfile).not.toMatch(/^# syntax=/m);
    expect(dockerfile).toMatch(/npm ci --omit=dev/);
    expect(dockerfile).toMatch(/^USER node$/m);
  });

  it('gives build-time CA certificates to the dependency stage only', () => {
    const runtime = dockerfile.slice(dockerfile.indexOf('AS runtime'));
    expect(dockerfile).toContain('COPY .build-ca/ /tmp/build-ca/');
    expect(runtime).not.toContain('build-ca');
    expect(runtime).not.toMatch(/^COPY \. /m);
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
