import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { bullPrefix, type Config, createRedisConnection, prepareJob } from '@series-killer/shared';
import {
  createTestConfig,
  createTestDatabase,
  createTestQueuePrefix,
  deleteQueuePrefix,
  type TestDatabase,
  waitFor,
} from '@series-killer/shared/testing';
import { UnrecoverableError, Worker } from 'bullmq';
import type { OnboardingDeps } from '../onboarding-deps.ts';
import { startOnboarding } from '../start/start-onboarding.ts';
import { type OnboardingWorker, startOnboardingWorker } from '../start-onboarding-worker.ts';
import { createTestDeps, insertUser, smsJobs, uniquePhone } from '../test-support/onboarding-fixtures.ts';
import { SWEEP_SCHEDULER_ID, sweepPendingProfiles } from './sweep-pending-profiles.ts';

const TEN_MINUTES = 10 * 60 * 1000;

let testDb: TestDatabase;
let prefix: string;
let config: Config;
let deps: OnboardingDeps;
let closeDeps: () => Promise<void>;

beforeAll(async () => {
  testDb = await createTestDatabase();
  prefix = createTestQueuePrefix();
  config = createTestConfig({ DATABASE_URL: testDb.url, QUEUE_PREFIX: prefix, ONBOARDING_SWEEP_INTERVAL: '300ms' });
  const kit = createTestDeps(config, testDb.db);
  deps = kit.deps;
  closeDeps = kit.close;
});

afterAll(async () => {
  await closeDeps();
  await testDb.drop();
  await deleteQueuePrefix(prefix);
});

async function startJobOf(userId: string) {
  return deps.queues.onboarding.getJob(`start.${userId}`);
}

describe('sweepPendingProfiles', () => {
  it('starts pending profiles past the grace period that nobody started', async () => {
    const forgotten = await insertUser(testDb.db, { linkedPhone: uniquePhone(), createdAgoMs: TEN_MINUTES });
    const fresh = await insertUser(testDb.db, { linkedPhone: uniquePhone() });
    const started = await insertUser(testDb.db, { linkedPhone: uniquePhone(), createdAgoMs: TEN_MINUTES });
    await startOnboarding(deps, { userId: started, trigger: 'api' });
    // Twilio took the welcome text: this onboarding is under way.
    await testDb.db
      .updateTable('onboarding_messages')
      .set({ status: 'sent' })
      .where('user_id', '=', started)
      .where('message_type', '=', 'welcome')
      .execute();

    await expect(sweepPendingProfiles(deps, { graceMs: 60_000 })).resolves.toEqual({ outcome: 'swept', started: 1 });

    expect((await startJobOf(forgotten))?.data).toEqual({ userId: forgotten, trigger: 'sweep' });
    expect(await startJobOf(fresh)).toBeUndefined();
    expect(await startJobOf(started)).toBeUndefined();
  });

  it('runs a start job again when an earlier one finished without starting the profile', async () => {
    const userId = await insertUser(testDb.db, { linkedPhone: uniquePhone(), createdAgoMs: TEN_MINUTES });
    await deps.queues.onboarding.drain();
    const job = prepareJob('start-onboarding', { userId, trigger: 'api' });
    await deps.queues.onboarding.add(job.name, job.data, job.opts);
    // Take the job by hand (BullMQ's manual processing) and fail it for good.
    const connection = createRedisConnection(config.redis, 'worker');
    const manual = new Worker('onboarding', null, { connection, prefix: bullPrefix(prefix) });
    const active = await manual.getNextJob('manual-token');
    await active?.moveToFailed(new UnrecoverableError('database unavailable'), 'manual-token');
    await manual.close();
    await connection.quit();
    expect(await (await startJobOf(userId))?.getState()).toBe('failed');

    await sweepPendingProfiles(deps, { graceMs: 60_000 });

    expect(await (await startJobOf(userId))?.getState()).toBe('waiting');
  });
});

describe('the scheduled sweep', () => {
  let worker: OnboardingWorker;

  beforeAll(async () => {
    worker = await startOnboardingWorker(config, { logger: deps.logger });
  });

  afterAll(async () => {
    await worker.close();
  });

  it('is registered once and starts onboarding for a profile inserted with SQL', async () => {
    const phone = uniquePhone();
    const userId = await insertUser(testDb.db, { linkedPhone: phone, createdAgoMs: TEN_MINUTES });

    const sent = await waitFor('the welcome and verification texts', async () => {
      const jobs = await smsJobs(deps.queues, phone);
      return jobs.length === 2 && jobs;
    });

    expect(sent.map((job) => job.data.userId)).toEqual([userId, userId]);
    const schedulers = await deps.queues.onboarding.getJobSchedulers();
    expect(schedulers.map((scheduler) => scheduler.key)).toEqual([SWEEP_SCHEDULER_ID]);
  });

  it('hands over the messages of a start that committed its rows but never enqueued their sends', async () => {
    const phone = uniquePhone();
    const userId = await insertUser(testDb.db, { linkedPhone: phone, createdAgoMs: TEN_MINUTES });
    await startOnboarding(deps, { userId, trigger: 'api' });
    // As if every attempt to enqueue the sends had failed after the commit.
    for (const job of await smsJobs(deps.queues, phone)) await job.remove();

    const sent = await waitFor('the welcome and verification texts handed over again', async () => {
      const jobs = await smsJobs(deps.queues, phone);
      return jobs.length === 2 && jobs;
    });

    const pendingRows = await testDb.db
      .selectFrom('onboarding_messages')
      .select('id')
      .where('user_id', '=', userId)
      .where('status', '=', 'pending')
      .orderBy('id')
      .execute();
    expect(sent.map((job) => job.data.onboardingMessageId)).toEqual(pendingRows.map((row) => row.id));
  });
});
