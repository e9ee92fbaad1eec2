import {
  type Config,
  closeQueues,
  createLogger,
  createQueues,
  createRedisConnection,
  type Queues,
} from '@series-killer/shared';
import {
  createTestConfig,
  createTestDatabase,
  createTestQueuePrefix,
  deleteQueuePrefix,
  freePort,
  type TestDatabase,
} from '@series-killer/shared/testing';
import { type Sandbox, startSandbox } from '../sandbox.ts';

export interface TestStackOptions {
  /** Environment over the stack's own (database, queue prefix, port, sandbox URLs); undefined values are left out. Default none. */
  env?: Record<string, string | undefined>;
  /**
   * Start the sandbox on the stack's database, posting to PUBLIC_BASE_URL, with TWILIO_API_BASE_URL and
   * OPENAI_BASE_URL pointed at it; `supabaseAuth` also sets SUPABASE_URL, so the ingress creates users
   * through its Supabase Auth emulation rather than in SQL. Default false.
   */
  sandbox?: boolean | { supabaseAuth: boolean };
}

/**
 * What every service test runs on: a database cloned from the template, a queue prefix of its own, a free
 * port for the ingress (PORT and PUBLIC_BASE_URL), the sandbox when asked for, and queues to inspect jobs.
 */
export interface TestStack {
  config: Config;
  /** The environment the config was read from (without the test's LOG_LEVEL), for a service run as a child process. */
  env: Record<string, string>;
  testDb: TestDatabase;
  prefix: string;
  sandbox: Sandbox | undefined;
  /** Queues on a connection of the test's own, for adding and reading jobs. */
  queues: Queues;
  /** Errors the inspection queues reported (a test pointed at a Redis that is down sees them). */
  queueErrors: Error[];
  /** Registers a service's close; `close()` runs them last registered first, before its own clean-up. */
  onClose(close: () => Promise<void>): void;
  /** Closes the services, the sandbox and the queues, deletes the queue prefix's keys and drops the database. */
  close(): Promise<void>;
}

function withoutUndefined(env: Record<string, string | undefined>): Record<string, string> {
  return Object.fromEntries(Object.entries(env).filter((entry): entry is [string, string] => entry[1] !== undefined));
}

export function startTestStack(
  options: TestStackOptions & { sandbox: true | { supabaseAuth: boolean } },
): Promise<TestStack & { sandbox: Sandbox }>;
export function startTestStack(options?: TestStackOptions): Promise<TestStack>;
export async function startTestStack(options: TestStackOptions = {}): Promise<TestStack> {
  const overrides = withoutUndefined(options.env ?? {});
  const testDb = await createTestDatabase();
  const prefix = createTestQueuePrefix();
  const port = await freePort();
  const publicBaseUrl = `http://127.0.0.1:${port}`;
  // The sandbox accepts the credentials the services will use.
  const credentials = createTestConfig(overrides).twilio;
  const sandbox = options.sandbox
    ? await startSandbox({
        accountSid: credentials.accountSid,
        authToken: credentials.authToken,
        ingressBaseUrl: publicBaseUrl,
        databaseUrl: testDb.url,
      })
    : undefined;
  const supabaseAuth = typeof options.sandbox === 'object' && options.sandbox.supabaseAuth;
  const env: Record<string, string> = {
    // Tests run in sandbox mode, which is only ever asked for.
    SANDBOX: '1',
    DATABASE_URL: testDb.url,
    QUEUE_PREFIX: prefix,
    PORT: String(port),
    PUBLIC_BASE_URL: publicBaseUrl,
    ...(sandbox ? { TWILIO_API_BASE_URL: sandbox.url, OPENAI_BASE_URL: `${sandbox.url}/v1` } : {}),
    ...(sandbox && supabaseAuth ? { SUPABASE_URL: sandbox.url } : {}),
    ...overrides,
  };
  const config = createTestConfig(env);
  const redis = createRedisConnection(config.redis, 'worker');
  const queues = createQueues(redis, config.redis, createLogger('test-stack', 'silent'));
  const queueErrors: Error[] = [];
  for (const queue of Object.values(queues)) queue.on('error', (error: Error) => queueErrors.push(error));
  const closers: (() => Promise<void>)[] = [];

  return {
    config,
    env,
    testDb,
    prefix,
    sandbox,
    queues,
    queueErrors,
    onClose(close) {
      closers.push(close);
    },
    async close() {
      for (const close of [...closers].reverse()) await close();
      await sandbox?.close();
      await closeQueues(queues);
      // Not `quit()`: a test may have pointed REDIS_URL at a Redis that is down.
      redis.disconnect();
      await deleteQueuePrefix(prefix);
      await testDb.drop();
    },
  };
}
