import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { TestStack } from '@series-killer/sandbox/testing';
import { bullPrefix, createRedisConnection, type Db, prepareJob } from '@series-killer/shared';
import { uniqueTestPhone, waitFor } from '@series-killer/shared/testing';
import { UnrecoverableError, Worker } from 'bullmq';
import type { OnboardingDeps } from '../onboarding-deps.ts';
import { startOnboarding } from '../start/start-onboarding.ts';
import { type OnboardingWorkers, startOnboardingWorkers } from '../start-onboarding-workers.ts';
import { insertUser, smsJobs, startOnboardingTestStack } from '../testing/onboarding-fixtures.ts';
import { SWEEP_SCHEDULER_ID, sweepPendingProfiles } from './sweep-pending-profiles.ts';

const TEN_MINUTES = 10 * 60 * 1000;

let stack: TestStack;
let db: Db;
let deps: OnboardingDeps;

beforeAll(async () => {
  ({ stack, db, deps } = await startOnboardingTestStack({ ONBOARDING_SWEEP_INTERVAL: '300ms' }));
});

afterAll(async () => {
  await stack.close();
});

async function startJobOf(userId: string) {
  return deps.queues.onboarding.getJob(`start.${userId}`);
}

describe('sweepPendingProfiles', () => {
  it('starts pending profiles past the grace period that nobody started', async () => {
    const forgotten = await insertUser(db, { linkedPhone: uniqueTestPhone(), createdAgoMs: TEN_MINUTES });
    const fresh = await insertUser(db, { linkedPhone: uniqueTestPhone() });
    const started = await insertUser(db, { linkedPhone: uniqueTestPhone(), createdAgoMs: TEN_MINUTES });
    await startOnboarding(deps, { userId: started, trigger: 'api' });
    // Twilio took the welcome text: this onboarding is under way.
    await db
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
    const userId = await insertUser(db, { linkedPhone: uniqueTestPhone(), createdAgoMs: TEN_MINUTES });
    await deps.queues.onboarding.drain();
    const job = prepareJob('start-onboarding', { userId, trigger: 'api' });
    await deps.queues.onboarding.add(job.name, job.data, job.opts);
    // Take the job by hand (BullMQ's manual processing) and fail it for good.
    const connection = createRedisConnection(stack.config.redis, 'worker');
    const manual = new Worker('onboarding', null, { connection, prefix: bullPrefix(stack.prefix) });
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
  let worker: OnboardingWorkers;

  beforeAll(async () => {
    worker = await startOnboardingWorkers(stack.config, { logger: deps.logger });
  });

  afterAll(async () => {
    await worker.close();
  });

  it('is registered once and starts onboarding for a profile inserted with SQL', async () => {
    const phone = uniqueTestPhone();
    const userId = await insertUser(db, { linkedPhone: phone, createdAgoMs: TEN_MINUTES });

    const sent = await waitFor('the welcome and verification texts', async () => {
      const jobs = await smsJobs(deps.queues, phone);
      return jobs.length === 2 && jobs;
    });

    expect(sent.map((job) => job.data.userId)).toEqual([userId, userId]);
    const schedulers = await deps.queues.onboarding.getJobSchedulers();
    expect(schedulers.map((scheduler) => scheduler.key)).toEqual([SWEEP_SCHEDULER_ID]);
  });

  it('hands over the messages of a start that committed its rows but never enqueued their sends', async () => {
    const phone = uniqueTestPhone();
    const userId = await insertUser(db, { linkedPhone: phone, createdAgoMs: TEN_MINUTES });
    await startOnboarding(deps, { userId, trigger: 'api' });
    // As if every attempt to enqueue the sends had failed after the commit.
    for (const job of await smsJobs(deps.queues, phone)) await job.remove();

    const sent = await waitFor('the welcome and verification texts handed over again', async () => {
      const jobs = await smsJobs(deps.queues, phone);
      return jobs.length === 2 && jobs;
    });

    const pendingRows = await db
      .selectFrom('onboarding_messages')
      .select('id')
      .where('user_id', '=', userId)
      .where('status', '=', 'pending')
      .orderBy('id')
      .execute();
    expect(sent.map((job) => job.data.onboardingMessageId)).toEqual(pendingRows.map((row) => row.id));
  });
});
