import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Job, Worker } from 'bullmq';
import { sql } from 'kysely';
import pg from 'pg';
import { createDb, type Db } from '../db/create-db.ts';
import { createLogger } from '../logging/logger.ts';
import { createRedisConnection, type RedisConnection } from '../redis/redis-connection.ts';
import {
  createTestConfig,
  createTestDatabase,
  createTestQueuePrefix,
  deleteQueuePrefix,
  type TestDatabase,
  type UnreachableDatabase,
  unreachableDatabase,
  unreachablePort,
  waitFor,
} from '../testing/index.ts';
import { isDependencyUnavailable } from './dependency-outage.ts';
import { closeQueues, createQueues, type Queues } from './queues.ts';
import { createWorker, type JobHandlers, OUTAGE_RETRIES_KEY } from './worker.ts';

let testDb: TestDatabase;
const prefix = createTestQueuePrefix();
let queues: Queues;
let producer: RedisConnection;
let connection: RedisConnection;
let databasePort: UnreachableDatabase;
/** The worker's database, reached through a port that refuses connections until opened. */
let db: Db;
let worker: Worker;

/** A quick outage policy, so a test sees many outage retries in well under a second each. */
const QUICK_OUTAGE_RETRY = { firstDelayMs: 20, maxDelayMs: 100, maxRetries: 1_000 };
/** Job options that the old retries would have spent at once. */
const FEW_ATTEMPTS = { attempts: 3, backoff: { type: 'fixed', delay: 10 } };

beforeAll(async () => {
  testDb = await createTestDatabase();
  databasePort = await unreachableDatabase(testDb.url);
  db = createDb({ url: databasePort.url, poolSize: 2 }, 'worker-test');
  const config = createTestConfig({ QUEUE_PREFIX: prefix });
  // The test's own reads and adds wait out a slow moment of a loaded machine (the producer role gives up after 500 ms).
  producer = createRedisConnection(config.redis, 'worker');
  queues = createQueues(producer, config.redis, createLogger('test', 'silent'));
  connection = createRedisConnection(config.redis, 'worker');
  const handlers: JobHandlers<'onboarding'> = {
    // Reads the database: what every handler does first.
    'sweep-pending-profiles': async () => (await sql<{ one: number }>`select 1 as one`.execute(db)).rows[0],
    // A statement Postgres refuses for its data, whatever the database's state.
    'send-reminder': async () => sql`select 'not a number'::int`.execute(testDb.db),
    'start-onboarding': async () => undefined,
    'verify-code': async () => undefined,
  };
  worker = createWorker('onboarding', handlers, {
    connection,
    redis: config.redis,
    logger: createLogger('test', 'silent'),
    outageRetry: QUICK_OUTAGE_RETRY,
  });
  void worker.run();
  await worker.waitUntilReady();
});

afterAll(async () => {
  await worker.close();
  connection.disconnect();
  await closeQueues(queues);
  producer.disconnect();
  await deleteQueuePrefix(prefix);
  await db.destroy();
  await databasePort.close();
  await testDb.drop();
});

async function finished(job: Job): Promise<Job> {
  return waitFor(
    `job ${job.id} to finish`,
    async () => {
      const current = await queues.onboarding.getJob(job.id ?? '');
      return current?.finishedOn ? current : undefined;
    },
    { timeoutMs: 30_000 },
  );
}

describe('a job whose database is unreachable', () => {
  it('waits for it past its attempts without spending them, then runs once it is back', async () => {
    const job = await queues.onboarding.add('sweep-pending-profiles', {}, FEW_ATTEMPTS);
    await waitFor('more outage retries than the job has attempts', async () => {
      const current = await queues.onboarding.getJob(job.id ?? '');
      const retries = Number(current?.data[OUTAGE_RETRIES_KEY] ?? 0);
      return !current?.failedReason && retries > FEW_ATTEMPTS.attempts + 2;
    });
    await databasePort.open();
    const done = await finished(job);
    expect(done.failedReason).toBeUndefined();
    expect(done.returnvalue).toEqual({ one: 1 });
    expect(done.attemptsMade).toBeLessThanOrEqual(1);
  });

  it('still fails a data error after its attempts', async () => {
    const job = await queues.onboarding.add(
      'send-reminder',
      { userId: '00000000-0000-4000-8000-000000000001', reminderNumber: 1 },
      FEW_ATTEMPTS,
    );
    const done = await finished(job);
    expect(done.failedReason).toContain('invalid input syntax for type integer');
    expect(done.attemptsMade).toBe(FEW_ATTEMPTS.attempts);
    expect(done.data[OUTAGE_RETRIES_KEY]).toBeUndefined();
  });
});

describe('isDependencyUnavailable', () => {
  it('knows a refused connection, a server shutting down and a cut connection from a refused statement', async () => {
    const closed = await unreachablePort({ host: '127.0.0.1', port: 1 });
    const refused = await new pg.Client({ host: '127.0.0.1', port: closed.port }).connect().catch((e: unknown) => e);
    expect(isDependencyUnavailable(refused)).toBe(true);

    const client = new pg.Client({ connectionString: testDb.url });
    client.on('error', () => undefined);
    await client.connect();
    const { rows } = await client.query<{ pid: number }>('select pg_backend_pid() as pid');
    // 57P01: what every connection gets when Postgres stops or fails over.
    await testDb.db.executeQuery(sql`select pg_terminate_backend(${rows[0]?.pid})`.compile(testDb.db));
    const shutdown = await client.query('select 1').catch((e: unknown) => e);
    expect(isDependencyUnavailable(shutdown)).toBe(true);
    await client.end().catch(() => undefined);

    const dataError = await testDb.db.executeQuery(sql`select 'x'::int`.compile(testDb.db)).catch((e: unknown) => e);
    expect(isDependencyUnavailable(dataError)).toBe(false);
    expect(isDependencyUnavailable(new Error('wrapped', { cause: refused }))).toBe(true);
  });
});
