import { randomBytes, randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import {
  addJob,
  closeQueues,
  createLogger,
  createQueues,
  createRedisConnection,
  createWorker,
  type Queues,
  type RedisConnection,
} from '@series-killer/shared';
import {
  createTestConfig,
  createTestDatabase,
  createTestQueuePrefix,
  deleteQueuePrefix,
  type TestDatabase,
  waitFor,
} from '@series-killer/shared/testing';
import { type SmsWorkers, startSmsWorkers } from '@series-killer/sms';
import { UnrecoverableError } from 'bullmq';
import { drainOrphanStatusEvents } from './drain-orphan-events.ts';
import { countJobs, listFailedJobs } from './queue-report.ts';
import { retryFailedJobs } from './retry-failed-jobs.ts';

const logger = createLogger('test', 'silent');

describe('npm run jobs operations', () => {
  let testDb: TestDatabase;
  const prefix = createTestQueuePrefix();
  let connection: RedisConnection;
  let queues: Queues;

  beforeAll(async () => {
    testDb = await createTestDatabase();
    const config = createTestConfig({ DATABASE_URL: testDb.url, QUEUE_PREFIX: prefix });
    connection = createRedisConnection(config.redis, 'worker');
    queues = createQueues(connection, config.redis, logger);
  });

  afterAll(async () => {
    await closeQueues(queues);
    connection.disconnect();
    await deleteQueuePrefix(prefix);
    await testDb.drop();
  });

  it('lists failed jobs with their reasons, and retries them', async () => {
    const config = createTestConfig({ DATABASE_URL: testDb.url, QUEUE_PREFIX: prefix });
    const workerConnection = createRedisConnection(config.redis, 'worker');
    const worker = createWorker(
      'summaries',
      {
        'summarize-call': async () => {
          throw new UnrecoverableError('the model refused: bad request');
        },
      },
      { connection: workerConnection, redis: config.redis, logger },
    );
    void worker.run();
    const callSid = `CA${randomBytes(16).toString('hex')}`;
    await addJob(queues, 'summarize-call', { callSid });
    const failed = await waitFor('the job to fail', async () => {
      const jobs = await listFailedJobs(queues, 'summaries');
      return jobs.length === 1 && jobs;
    });
    expect(failed[0]).toMatchObject({
      queue: 'summaries',
      id: `summary.${callSid}`,
      reason: 'the model refused: bad request',
    });
    await worker.close();
    workerConnection.disconnect();

    const progress: string[] = [];
    expect(await retryFailedJobs(queues, 'summaries', [], (done, total) => progress.push(`${done}/${total}`))).toBe(1);
    expect(progress).toEqual(['1/1']);
    const counts = await countJobs(queues);
    expect(counts.summaries).toMatchObject({ failed: 0, waiting: 1 });
  });

  it('sends orphaned status events through the status worker again, applying those whose message is now known', async () => {
    const config = createTestConfig({ DATABASE_URL: testDb.url, QUEUE_PREFIX: prefix, LOG_LEVEL: 'silent' });
    const messageSid = `SM${randomBytes(16).toString('hex')}`;
    const userId = randomUUID();
    await testDb.db.insertInto('auth.users').values({ id: userId, phone: '15550009999' }).execute();
    await testDb.db
      .insertInto('sms_status_events')
      .values({
        message_sid: messageSid,
        status: 'delivered',
        raw_payload: { MessageSid: messageSid, MessageStatus: 'delivered' },
        received_at: new Date(),
        orphaned_at: new Date(),
      })
      .execute();
    // The message was recorded later, by a path that did not claim the orphan.
    const onboardingMessage = await testDb.db
      .insertInto('onboarding_messages')
      .values({
        user_id: userId,
        phone_number: '+15550009999',
        message_type: 'welcome',
        message_sid: messageSid,
        status: 'sent',
        content: 'Welcome',
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    await testDb.db
      .insertInto('sms_deliveries')
      .values({
        send_key: `restored.${messageSid}`,
        message_sid: messageSid,
        user_id: userId,
        onboarding_message_id: onboardingMessage.id,
        to_number: '+15550009999',
        sender: '+15005550006',
        body_sha256: '0'.repeat(64),
        status: 'sent',
        accepted_at: new Date(),
      })
      .execute();
    await testDb.db
      .insertInto('sms_history')
      .values({ user_id: userId, phone_number: '+15550009999', message_sid: messageSid, direction: 'outbound' })
      .execute();

    const workers: SmsWorkers = await startSmsWorkers(config, { logger });
    try {
      const result = await drainOrphanStatusEvents(testDb.db, queues, () => {});
      expect(result).toEqual({ orphans: 1, requeued: 1 });
      const message = await waitFor('the orphan to be applied', async () => {
        const row = await testDb.db
          .selectFrom('onboarding_messages')
          .select(['status', 'delivered_at'])
          .where('message_sid', '=', messageSid)
          .executeTakeFirstOrThrow();
        return row.status === 'delivered' && row;
      });
      expect(message.delivered_at).toBeInstanceOf(Date);
      expect(await drainOrphanStatusEvents(testDb.db, queues, () => {})).toEqual({ orphans: 0, requeued: 0 });
    } finally {
      await workers.close();
    }
  });
});
