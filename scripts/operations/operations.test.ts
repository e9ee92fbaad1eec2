import { randomBytes, randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Sandbox } from '@series-killer/sandbox';
import { startTestStack, type TestStack } from '@series-killer/sandbox/testing';
import {
  addJob,
  closeQueues,
  createLogger,
  createQueues,
  createRedisConnection,
  createWorker,
  type Queues,
  type RedisConnection,
  sendKeyFor,
  sendSmsJobId,
} from '@series-killer/shared';
import {
  createTestConfig,
  createTestDatabase,
  createTestQueuePrefix,
  deleteQueuePrefix,
  type TestDatabase,
  uniqueTestPhone,
  waitFor,
} from '@series-killer/shared/testing';
import { type SmsWorkers, startSmsWorkers } from '@series-killer/sms';
import { UnrecoverableError } from 'bullmq';
import { sql } from 'kysely';
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

describe('npm run jobs -- retry sms-outbound', () => {
  let stack: TestStack & { sandbox: Sandbox };

  beforeAll(async () => {
    stack = await startTestStack({ sandbox: true });
    const workers = await startSmsWorkers(stack.config, { logger });
    stack.onClose(workers.close);
  });

  afterAll(async () => {
    await stack.close();
  });

  it('resends a welcome whose send gave up, once, and the onboarding moves on', async () => {
    const { db } = stack.testDb;
    const userId = randomUUID();
    const phone = uniqueTestPhone();
    await sql`select public.create_integration_test_user(${userId}::uuid, ${phone}, ${null})`.execute(db);
    await db
      .insertInto('user_profiles')
      .values({ user_id: userId, first_name: 'Ada', last_name: 'Lovelace', onboarding_status: 'pending' })
      .execute();
    const welcome = await db
      .insertInto('onboarding_messages')
      .values({ user_id: userId, phone_number: phone, message_type: 'welcome', content: 'Welcome', status: 'pending' })
      .returning('id')
      .executeTakeFirstOrThrow();
    const message = () =>
      db
        .selectFrom('onboarding_messages')
        .select(['status', 'error_message'])
        .where('id', '=', welcome.id)
        .executeTakeFirstOrThrow();

    // Twilio answers 500 to both attempts: the send gives up, and says so on the row.
    stack.sandbox.setTwilioMode({ failWith: 500 });
    const sendKey = sendKeyFor.onboardingMessage(welcome.id);
    const job = await stack.queues['sms-outbound'].add(
      'send-sms',
      { sendKey, to: phone, body: 'Welcome', userId, onboardingMessageId: welcome.id },
      { jobId: sendSmsJobId(sendKey), attempts: 2, backoff: { type: 'fixed', delay: 0 } },
    );
    await waitFor(
      'the send to give up',
      async () => (await job.isFailed()) && /^gave up after 2 attempts/.test((await message()).error_message ?? ''),
    );
    expect((await message()).status).toBe('pending');

    stack.sandbox.setTwilioMode({});
    expect(await retryFailedJobs(stack.queues, 'sms-outbound', [], () => {})).toBe(1);
    const sent = await waitFor('the welcome to be sent', async () => {
      const row = await message();
      return row.status === 'sent' && row;
    });
    expect(sent.error_message).toBeNull();
    const profile = await db
      .selectFrom('user_profiles')
      .select('onboarding_status')
      .where('user_id', '=', userId)
      .executeTakeFirstOrThrow();
    expect(profile.onboarding_status).toBe('sms_sent');
    const texts = stack.sandbox.messages().filter((text) => text.to === phone);
    expect(texts.map((text) => text.body)).toEqual(['Welcome']);
  });
});
