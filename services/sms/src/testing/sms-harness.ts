import { type RunningIngress, startIngress } from '@series-killer/ingress';
import { type Sandbox, startSandbox } from '@series-killer/sandbox';
import {
  type Config,
  closeQueues,
  createQueues,
  createRedisConnection,
  type Queues,
  type RedisConnection,
} from '@series-killer/shared';
import {
  createTestConfig,
  createTestDatabase,
  createTestQueuePrefix,
  deleteQueuePrefix,
  freePort,
  type TestDatabase,
} from '@series-killer/shared/testing';
import { type SmsWorkers, startSmsWorkers } from '../start-sms-workers.ts';

/** The whole SMS path of one test file: database, queues, sandbox, ingress and (optionally) the workers. */
export interface SmsHarness {
  testDb: TestDatabase;
  prefix: string;
  config: Config;
  /** The environment the config was read from, for a worker run as a child process. */
  env: Record<string, string>;
  sandbox: Sandbox;
  ingress: RunningIngress | undefined;
  workers: SmsWorkers | undefined;
  queues: Queues;
  close(): Promise<void>;
}

export async function startSmsHarness({
  env: overrides = {},
  ingress: withIngress = true,
  workers: withWorkers = true,
}: {
  env?: Record<string, string>;
  ingress?: boolean;
  workers?: boolean;
} = {}): Promise<SmsHarness> {
  const testDb = await createTestDatabase();
  const prefix = createTestQueuePrefix();
  const port = await freePort();
  const publicBaseUrl = `http://127.0.0.1:${port}`;
  const base = createTestConfig({});
  const sandbox = await startSandbox({
    port: 0,
    accountSid: base.twilio.accountSid,
    authToken: base.twilio.authToken,
    ingressBaseUrl: publicBaseUrl,
  });
  const env = {
    DATABASE_URL: testDb.url,
    QUEUE_PREFIX: prefix,
    PORT: String(port),
    PUBLIC_BASE_URL: publicBaseUrl,
    TWILIO_API_BASE_URL: sandbox.url,
    SMS_MAX_PER_SECOND: '100',
    ...overrides,
  };
  const config = createTestConfig(env);
  const ingress = withIngress ? await startIngress(config) : undefined;
  const workers = withWorkers ? await startSmsWorkers(config) : undefined;
  const redis: RedisConnection = createRedisConnection(config.redis, 'worker');
  const queues = createQueues(redis, config.redis);

  return {
    testDb,
    prefix,
    config,
    env,
    sandbox,
    ingress,
    workers,
    queues,
    async close() {
      await workers?.close();
      await ingress?.close();
      await closeQueues(queues);
      await redis.quit();
      await sandbox.close();
      await deleteQueuePrefix(prefix);
      await testDb.drop();
    },
  };
}
