import { randomBytes } from 'node:crypto';
import { type Sandbox, startSandbox } from '@series-killer/sandbox';
import {
  type Config,
  closeQueues,
  createQueues,
  createRedisConnection,
  type QueueName,
  type Queues,
  SANDBOX_DEFAULTS,
} from '@series-killer/shared';
import {
  createTestConfig,
  createTestDatabase,
  createTestQueuePrefix,
  deleteQueuePrefix,
  freePort,
  type TestDatabase,
} from '@series-killer/shared/testing';
import twilio from 'twilio';
import { type RunningIngress, startIngress } from '../start-ingress.ts';

/** A running ingress on its own database and queue prefix, with queues to inspect what it enqueued. */
export interface IngressHarness {
  config: Config;
  ingress: RunningIngress;
  testDb: TestDatabase;
  /** The sandbox, when asked for: its drivers post to this ingress, and it is the ingress's Supabase Auth. */
  sandbox?: Sandbox;
  /** Queues on a connection of the test's own, for reading jobs. */
  queues: Queues;
  /** Signs `params` as Twilio would for `path` under PUBLIC_BASE_URL and posts them. */
  postSigned(path: string, params: Record<string, string>, headers?: Record<string, string>): Promise<Response>;
  /** Errors the inspection queues reported (a test pointed at a Redis that is down sees them). */
  queueErrors: Error[];
  /** How many jobs a queue holds in any state. */
  jobCount(queue: QueueName): Promise<number>;
  close(): Promise<void>;
}

export function twilioSignature(config: Config, path: string, params: Record<string, string>): string {
  return twilio.getExpectedTwilioSignature(config.twilio.authToken, config.http.publicBaseUrl + path, params);
}

export async function startIngressHarness(
  env: Record<string, string | undefined> = {},
  options: { sandbox?: boolean } = {},
): Promise<IngressHarness> {
  const testDb = await createTestDatabase();
  const prefix = createTestQueuePrefix();
  const port = await freePort();
  const publicBaseUrl = `http://127.0.0.1:${port}`;
  const sandbox = options.sandbox
    ? await startSandbox({
        accountSid: SANDBOX_DEFAULTS.twilioAccountSid,
        authToken: SANDBOX_DEFAULTS.twilioAuthToken,
        ingressBaseUrl: publicBaseUrl,
        databaseUrl: testDb.url,
      })
    : undefined;
  const config = createTestConfig({
    DATABASE_URL: testDb.url,
    QUEUE_PREFIX: prefix,
    PORT: String(port),
    PUBLIC_BASE_URL: publicBaseUrl,
    ...(sandbox ? { TWILIO_API_BASE_URL: sandbox.url, SUPABASE_URL: sandbox.url } : {}),
    ...env,
  });
  const ingress = await startIngress(config);
  const redis = createRedisConnection(config.redis, 'worker');
  const queues = createQueues(redis, config.redis);
  const queueErrors: Error[] = [];
  for (const queue of Object.values(queues)) queue.on('error', (error: Error) => queueErrors.push(error));

  return {
    config,
    ingress,
    testDb,
    sandbox,
    queues,
    queueErrors,
    postSigned: (path, params, headers = {}) =>
      fetch(ingress.url + path, {
        method: 'POST',
        headers: { 'X-Twilio-Signature': twilioSignature(config, path, params), ...headers },
        body: new URLSearchParams(params),
      }),
    async jobCount(queue) {
      const counts = await queues[queue].getJobCounts();
      return Object.values(counts).reduce((sum, count) => sum + count, 0);
    },
    async close() {
      await ingress.close();
      await sandbox?.close();
      await closeQueues(queues);
      redis.disconnect();
      await deleteQueuePrefix(prefix);
      await testDb.drop();
    },
  };
}

/** A Twilio-style SID: prefix and 32 random hex digits. */
export function fakeSid(prefix: string): string {
  return `${prefix}${randomBytes(16).toString('hex')}`;
}
