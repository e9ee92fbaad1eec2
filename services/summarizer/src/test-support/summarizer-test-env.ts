import { randomBytes, randomUUID } from 'node:crypto';
import {
  type Config,
  closeQueues,
  createQueues,
  createRedisConnection,
  type Db,
  type Queues,
} from '@series-killer/shared';
import {
  createTestConfig,
  createTestDatabase,
  createTestQueuePrefix,
  deleteQueuePrefix,
  type TestDatabase,
} from '@series-killer/shared/testing';
import { type SummarizerWorkers, type SummarizerWorkersOptions, startSummarizerWorkers } from '../index.ts';

export interface SummarizerTestEnv {
  config: Config;
  db: Db;
  /** Producer-side queues, for adding jobs and reading their state. */
  queues: Queues;
  workers: SummarizerWorkers;
  close(): Promise<void>;
}

/** A fresh database and queue prefix with the summarizer's workers running on them. */
export async function startSummarizerTestEnv(
  env: Record<string, string> = {},
  options: SummarizerWorkersOptions = {},
): Promise<SummarizerTestEnv> {
  const testDb: TestDatabase = await createTestDatabase();
  const prefix = createTestQueuePrefix();
  const config = createTestConfig({ DATABASE_URL: testDb.url, QUEUE_PREFIX: prefix, ...env });
  const producer = createRedisConnection(config.redis, 'worker');
  const queues = createQueues(producer, config.redis);
  const workers = await startSummarizerWorkers(config, options);
  return {
    config,
    db: testDb.db,
    queues,
    workers,
    async close() {
      await workers.close();
      await closeQueues(queues);
      await producer.quit();
      await deleteQueuePrefix(prefix);
      await testDb.drop();
    },
  };
}

export function newCallSid(): string {
  return `CA${randomBytes(16).toString('hex')}`;
}

/** A user whose phone number is linked, as onboarding leaves it. */
export async function createLinkedUser(db: Db, phoneNumber: string): Promise<string> {
  const id = randomUUID();
  await db
    .insertInto('auth.users')
    .values({ id, phone: phoneNumber.replace(/^\+/, '') })
    .execute();
  await db.insertInto('phone_links').values({ user_id: id, phone_number: phoneNumber, verified: true }).execute();
  return id;
}

/** Deterministic shuffle (a fixed-seed Fisher–Yates), so a failing order can be replayed. */
export function shuffled<T>(items: readonly T[], seed = 7): T[] {
  const out = [...items];
  let state = seed;
  for (let i = out.length - 1; i > 0; i--) {
    state = (state * 1_103_515_245 + 12_345) % 2_147_483_648;
    const j = state % (i + 1);
    [out[i], out[j]] = [out[j] as T, out[i] as T];
  }
  return out;
}
