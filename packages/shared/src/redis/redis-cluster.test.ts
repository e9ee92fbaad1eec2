import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Job } from 'bullmq';
import { Cluster } from 'ioredis';
import { createLogger } from '../logging/logger.ts';
import { addJob, closeQueues, createQueues, type Queues } from '../queues/queues.ts';
import { createWorker } from '../queues/worker.ts';
import { createTestConfig } from '../testing/test-config.ts';
import { createTestQueuePrefix } from '../testing/test-redis.ts';
import { waitFor } from '../testing/wait-for.ts';
import { bullPrefix, createRedisConnection, type RedisConnection } from './redis-connection.ts';

/** The local cluster of `npm run redis:cluster` (started by .ci/run). */
const CLUSTER_NODES = process.env.TEST_REDIS_CLUSTER_NODES ?? '127.0.0.1:7101,127.0.0.1:7102,127.0.0.1:7103';

describe('BullMQ on a Redis Cluster', () => {
  const prefix = createTestQueuePrefix();
  const config = createTestConfig({ REDIS_CLUSTER_NODES: CLUSTER_NODES, QUEUE_PREFIX: prefix });
  let producer: RedisConnection;
  let consumer: RedisConnection;
  let queues: Queues;

  beforeAll(() => {
    producer = createRedisConnection(config.redis, 'producer');
    consumer = createRedisConnection(config.redis, 'worker');
    queues = createQueues(producer, config.redis, createLogger('test', 'silent'));
  });

  afterAll(async () => {
    await closeQueues(queues);
    const cluster = producer as Cluster;
    await Promise.all(
      cluster.nodes('master').map(async (node) => {
        const keys = await node.keys(`${bullPrefix(prefix)}:*`);
        if (keys.length > 0) await node.del(...keys);
      }),
    );
    producer.disconnect();
    consumer.disconnect();
  });

  it('connects through ioredis Cluster when REDIS_CLUSTER_NODES is set', () => {
    expect(producer).toBeInstanceOf(Cluster);
    expect(config.redis.clusterNodes).toHaveLength(3);
  });

  it('runs jobs end to end, with every key of a queue in one hash slot', async () => {
    const seen: string[] = [];
    const worker = createWorker(
      'summaries',
      {
        'summarize-call': async (data: { callSid: string }, _job: Job) => {
          seen.push(data.callSid);
        },
      },
      { connection: consumer, redis: config.redis, logger: createLogger('test', 'silent') },
    );
    worker.run();
    try {
      const sids = Array.from({ length: 20 }, (_, i) => `CA${i.toString(16).padStart(32, '0')}`);
      for (const callSid of sids) await addJob(queues, 'summarize-call', { callSid });
      await waitFor('every job processed on the cluster', () => seen.length === sids.length);
      expect(seen.sort()).toEqual(sids.sort());

      const cluster = producer as Cluster;
      const slots = new Set<number>();
      for (const node of cluster.nodes('master')) {
        for (const key of await node.keys(`${bullPrefix(prefix)}:summaries:*`)) {
          slots.add(Number(await node.call('CLUSTER', 'KEYSLOT', key)));
        }
      }
      expect(slots.size).toBe(1);
    } finally {
      await worker.close();
    }
  });
});
