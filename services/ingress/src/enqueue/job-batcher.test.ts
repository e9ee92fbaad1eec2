import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import {
  closeQueues,
  createLogger,
  createQueues,
  createRedisConnection,
  prepareJob,
  type QueueName,
  type Queues,
  type RedisConnection,
} from '@series-killer/shared';
import {
  createTestConfig,
  createTestQueuePrefix,
  freePort,
  openTestQueues,
  waitFor,
} from '@series-killer/shared/testing';
import { createJobBatcher, EnqueueError } from './job-batcher.ts';

describe('job batcher', () => {
  const { queues, close } = openTestQueues();
  afterAll(close);

  it('stores the jobs of one event-loop turn with one round trip per queue (add for a lone job), each promise with its own id', async () => {
    const batches: { queue: string; size: number; via: 'add' | 'addBulk' }[] = [];
    for (const [queue, q] of Object.entries(queues)) {
      const addBulk = q.addBulk.bind(q);
      q.addBulk = (jobs) => {
        batches.push({ queue, size: jobs.length, via: 'addBulk' });
        return addBulk(jobs);
      };
      const add = q.add.bind(q);
      q.add = (name, data, opts) => {
        batches.push({ queue, size: 1, via: 'add' });
        return add(name, data, opts);
      };
    }
    const settled: QueueName[] = [];
    const batcher = createJobBatcher(queues, { onSettled: (queue) => settled.push(queue) });
    const userIds = Array.from({ length: 20 }, () => crypto.randomUUID());
    const ids = await Promise.all([
      ...userIds.map((userId) => batcher.enqueue(prepareJob('start-onboarding', { userId, trigger: 'sweep' }))),
      batcher.enqueue(prepareJob('summarize-call', { callSid: `CA${'a'.repeat(32)}` })),
      // The same business event twice in one batch.
      batcher.enqueue(prepareJob('start-onboarding', { userId: userIds[0] ?? '', trigger: 'api' })),
    ]);

    expect(ids).toEqual([...userIds.map((id) => `start.${id}`), `summary.CA${'a'.repeat(32)}`, `start.${userIds[0]}`]);
    expect(batches.sort((a, b) => a.queue.localeCompare(b.queue))).toEqual([
      { queue: 'onboarding', size: 21, via: 'addBulk' },
      { queue: 'summaries', size: 1, via: 'add' },
    ]);
    expect(settled).toHaveLength(22);
    expect(await queues.onboarding.getJobCountByTypes('waiting')).toBe(20);
    // BullMQ keeps the first job under a duplicate id.
    expect((await queues.onboarding.getJob(`start.${userIds[0]}`))?.data.trigger).toBe('sweep');
    // A lone job under an id already stored collapses into it as well.
    const again = await batcher.enqueue(prepareJob('summarize-call', { callSid: `CA${'a'.repeat(32)}` }));
    expect(again).toBe(`summary.CA${'a'.repeat(32)}`);
    expect(await queues.summaries.getJobCountByTypes('waiting')).toBe(1);
  });
});

describe('job batcher while Redis is unreachable', () => {
  const config = createTestConfig({ QUEUE_PREFIX: createTestQueuePrefix() });
  let redis: RedisConnection;
  let queues: Queues;
  beforeAll(async () => {
    redis = createRedisConnection({ ...config.redis, url: `redis://127.0.0.1:${await freePort()}` }, 'producer');
    // Refused connections are the point of this test; keep them out of the console.
    const connectionErrors: Error[] = [];
    redis.on('error', (error: Error) => connectionErrors.push(error));
    queues = createQueues(redis, config.redis, createLogger('test', 'silent'));
    for (const queue of Object.values(queues)) queue.on('error', (error: Error) => connectionErrors.push(error));
  });
  afterAll(async () => {
    await closeQueues(queues);
    redis.disconnect();
  });

  it('rejects every waiting request with EnqueueError once the timeout passes', async () => {
    const batcher = createJobBatcher(queues, { timeoutMs: 200 });
    const attempts = [crypto.randomUUID(), crypto.randomUUID()].map((userId) =>
      batcher.enqueue(prepareJob('start-onboarding', { userId, trigger: 'api' })).then(
        () => 'stored',
        (error: unknown) => error,
      ),
    );
    const outcomes = await waitFor('both enqueues to settle', () => Promise.all(attempts), { timeoutMs: 5_000 });
    for (const outcome of outcomes) {
      expect(outcome).toBeInstanceOf(EnqueueError);
      expect((outcome as EnqueueError).message).toBe(
        'could not enqueue on onboarding: no answer from Redis within 200 ms',
      );
    }
  });
});
