import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { configSections, SERVICE_CONFIG_SECTIONS, type ServiceName } from '@series-killer/shared';
import {
  createTestDatabase,
  createTestQueuePrefix,
  deleteQueuePrefix,
  freePort,
  TEST_REDIS_URL,
  type TestDatabase,
} from '@series-killer/shared/testing';
import { ENTRY_POINTS as SERVICE_ENTRY_POINTS } from './stack-processes.ts';

const ENTRY_POINTS: Record<ServiceName, string> = {
  ...SERVICE_ENTRY_POINTS,
  'db:migrate': fileURLToPath(new URL('../../db/migrate.ts', import.meta.url)),
};

/** What a production process sees from its platform, beyond its own settings. */
const PLATFORM = { NODE_ENV: 'production', LOG_LEVEL: 'info', PATH: process.env.PATH ?? '' };

const TWILIO = { TWILIO_ACCOUNT_SID: `AC${'a'.repeat(32)}`, TWILIO_AUTH_TOKEN: 'a-real-auth-token' };

/** Each process's own settings: the required ones without defaults, plus this test's database, prefix and port. */
function ownSettings(service: ServiceName, shared: Record<string, string>): Record<string, string> {
  const { DATABASE_URL, QUEUE_PREFIX, REDIS_URL, PORT } = shared as Record<string, string>;
  switch (service) {
    case 'ingress':
      return {
        DATABASE_URL,
        REDIS_URL,
        QUEUE_PREFIX,
        PORT,
        ...TWILIO,
        VOICE_BOT_PUBLIC_URL: 'wss://voice.example.com/voice/relay',
      };
    case 'sms':
      return { DATABASE_URL, REDIS_URL, QUEUE_PREFIX, ...TWILIO, TWILIO_FROM_NUMBER: '+15551234567' };
    case 'onboarding':
      return { DATABASE_URL, REDIS_URL, QUEUE_PREFIX, VERIFICATION_CODE_SECRET: 'a-long-verification-secret' };
    case 'summarizer':
      return { DATABASE_URL, REDIS_URL, QUEUE_PREFIX, OPENAI_API_KEY: 'sk-live' };
    case 'voice':
      return {
        DATABASE_URL,
        REDIS_URL,
        QUEUE_PREFIX,
        VOICE_PORT: PORT,
        ...TWILIO,
        OPENAI_API_KEY: 'sk-live',
        VOICE_BOT_PUBLIC_URL: 'wss://voice.example.com/voice/relay',
      };
    case 'db:migrate':
      return { DATABASE_URL };
    case 'sandbox':
      return { DATABASE_URL, SANDBOX: '1', SANDBOX_PORT: PORT };
  }
}

/** The variables that a process must be given (no default); each is named when it is missing. */
const REQUIRED: Record<Exclude<ServiceName, 'db:migrate' | 'sandbox'>, string[]> = {
  ingress: ['TWILIO_ACCOUNT_SID', 'TWILIO_AUTH_TOKEN', 'VOICE_BOT_PUBLIC_URL'],
  sms: ['TWILIO_ACCOUNT_SID', 'TWILIO_AUTH_TOKEN', 'TWILIO_FROM_NUMBER'],
  onboarding: ['VERIFICATION_CODE_SECRET'],
  summarizer: ['OPENAI_API_KEY'],
  voice: ['TWILIO_AUTH_TOKEN', 'OPENAI_API_KEY', 'VOICE_BOT_PUBLIC_URL'],
};

interface Run {
  child: ReturnType<typeof spawn>;
  stdout: () => string;
  stderr: () => string;
  exited: Promise<number | null>;
}

function run(service: ServiceName, env: Record<string, string>): Run {
  // Nothing inherited: the process sees exactly the settings given here.
  const child = spawn(process.execPath, [ENTRY_POINTS[service]], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (chunk) => {
    stdout += chunk;
  });
  child.stderr?.on('data', (chunk) => {
    stderr += chunk;
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
  return { child, stdout: () => stdout, stderr: () => stderr, exited };
}

async function waitForStart(proc: Run, text: string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let exitCode: number | null | undefined;
  void proc.exited.then((code) => {
    exitCode = code;
  });
  while (!proc.stdout().includes(text)) {
    if (exitCode !== undefined) throw new Error(`exited ${exitCode} before "${text}":\n${proc.stderr()}`);
    if (Date.now() > deadline) throw new Error(`no "${text}" within ${timeoutMs} ms:\n${proc.stderr()}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** The variables the sections a service names read, and those every process reads. */
function variablesRead(service: ServiceName): Set<string> {
  const names = new Set<string>(['SANDBOX', 'SANDBOX_HOST', 'SANDBOX_PORT', 'LOG_LEVEL']);
  for (const section of SERVICE_CONFIG_SECTIONS[service])
    for (const name of configSections[section].variables) names.add(name);
  return names;
}

describe('each entry point with exactly its own settings', () => {
  let testDb: TestDatabase;
  const prefix = createTestQueuePrefix();
  let shared: Record<string, string>;

  beforeAll(async () => {
    testDb = await createTestDatabase();
    await testDb.db.destroy();
    shared = {
      DATABASE_URL: testDb.url,
      REDIS_URL: TEST_REDIS_URL,
      QUEUE_PREFIX: prefix,
      PORT: String(await freePort()),
    };
  });
  afterAll(async () => {
    await deleteQueuePrefix(prefix);
    await testDb.drop();
  });

  it.each(['ingress', 'sms', 'onboarding', 'summarizer', 'voice', 'sandbox'] as const)(
    '%s starts in production on its own settings alone, and stops on SIGTERM with exit code 0',
    async (service) => {
      const settings = ownSettings(service, shared);
      for (const name of Object.keys(settings)) expect(variablesRead(service)).toContain(name);
      const proc = run(service, { ...PLATFORM, ...settings });
      await waitForStart(proc, '"msg":"started"');
      proc.child.kill('SIGTERM');
      expect(await proc.exited).toBe(0);
    },
  );

  it('db:migrate needs only the database', async () => {
    const proc = run('db:migrate', { ...PLATFORM, ...ownSettings('db:migrate', shared) });
    const code = await proc.exited;
    if (code !== 0) throw new Error(`db:migrate exited ${code}:\n${proc.stderr()}`);
    expect(proc.stdout()).toContain('database is up to date');
  });

  const missing = Object.entries(REQUIRED).flatMap(([service, names]) =>
    names.map((name) => [service as keyof typeof REQUIRED, name] as const),
  );
  it.each(missing)('%s without %s exits non-zero at once, naming it on stderr', async (service, name) => {
    const { [name]: _missing, ...settings } = ownSettings(service, shared);
    const proc = run(service, { ...PLATFORM, ...settings });
    expect(await proc.exited).toBe(1);
    expect(proc.stderr()).toContain(name);
    expect(proc.stdout()).not.toContain('"msg":"started"');
  });

  it('a production process with no Twilio settings refuses to start instead of entering sandbox mode', async () => {
    const { DATABASE_URL, REDIS_URL, QUEUE_PREFIX } = shared as Record<string, string>;
    const proc = run('sms', { ...PLATFORM, DATABASE_URL, REDIS_URL, QUEUE_PREFIX });
    expect(await proc.exited).toBe(1);
    expect(proc.stderr()).toContain('TWILIO_ACCOUNT_SID is required (or SANDBOX=1 for the local sandbox)');
    expect(proc.stderr()).toContain('TWILIO_AUTH_TOKEN is required outside sandbox mode');
    expect(proc.stdout()).not.toContain('SANDBOX MODE');
  });
});
