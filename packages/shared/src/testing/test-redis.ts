import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { createLogger } from '../logging/logger.ts';
import { closeQueues, createQueues, type Queues } from '../queues/queues.ts';
import { bullPrefix, createRedisConnection } from '../redis/redis-connection.ts';
import { createTestConfig } from './test-config.ts';

export const TEST_REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

/** A queue prefix of one test file's own, so test files never share a queue. */
export function createTestQueuePrefix(): string {
  return `sktest-${randomBytes(5).toString('hex')}`;
}

/** Deletes every key under a test file's queue prefix. */
export async function deleteQueuePrefix(queuePrefix: string): Promise<void> {
  const redis = new Redis(TEST_REDIS_URL, { lazyConnect: true });
  await redis.connect();
  try {
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${bullPrefix(queuePrefix)}:*`, 'COUNT', 1000);
      cursor = next;
      if (keys.length > 0) await redis.del(...keys);
    } while (cursor !== '0');
  } finally {
    redis.disconnect();
  }
}

/** Every queue on a producer connection, under a queue prefix of one test file's own. */
export interface TestQueues {
  queues: Queues;
  /** Closes the queues and the connection, and deletes every key under the prefix. */
  close(): Promise<void>;
}

export function openTestQueues(): TestQueues {
  const prefix = createTestQueuePrefix();
  const config = createTestConfig({ QUEUE_PREFIX: prefix });
  const redis = createRedisConnection(config.redis, 'producer');
  const queues = createQueues(redis, config.redis, createLogger('test', 'silent'));
  return {
    queues,
    async close() {
      await closeQueues(queues);
      redis.disconnect();
      await deleteQueuePrefix(prefix);
    },
  };
}
