import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { OUTAGE_RETRIES_KEY, prepareJob, type SmsStatusCallback } from '@series-killer/shared';
import { fakeSid, type UnreachableDatabase, unreachableDatabase, waitFor } from '@series-killer/shared/testing';
import { Registry } from 'prom-client';
import { type SmsWorkers, startSmsWorkers } from '../start-sms-workers.ts';
import {
  createOnboardingMessage,
  createUser,
  readOnboardingMessage,
  recordAcceptedSend,
} from '../testing/sms-fixtures.ts';
import { type SmsHarness, startSmsHarness } from '../testing/sms-harness.ts';

let h: SmsHarness;
let database: UnreachableDatabase;
let workers: SmsWorkers;

/** Fewer than the outage retries the test waits for: the old retries would have failed these jobs. */
const ATTEMPTS = 2;

beforeAll(async () => {
  h = await startSmsHarness({ ingress: false, workers: false });
  // The workers reach the database only through a port that refuses connections until it is opened.
  database = await unreachableDatabase(h.testDb.url);
  const config = { ...h.config, database: { ...h.config.database, url: database.url } };
  workers = await startSmsWorkers(config, { registry: new Registry() });
});

afterAll(async () => {
  await workers.close();
  await database.close();
  await h.close();
});

function delivered(messageSid: string): SmsStatusCallback {
  return {
    messageSid,
    status: 'delivered',
    errorCode: null,
    raw: { MessageSid: messageSid, MessageStatus: 'delivered' },
    receivedAt: new Date().toISOString(),
  };
}

describe('status callbacks while the database is unreachable', () => {
  it('wait for it past their attempts, sharing their transactions as usual, and apply once it is back', async () => {
    const sends = [];
    for (let i = 0; i < 3; i += 1) {
      const user = await createUser(h.testDb.db);
      const messageId = await createOnboardingMessage(h.testDb.db, user);
      const messageSid = fakeSid('SM');
      await recordAcceptedSend(h.testDb.db, user, messageSid, messageId);
      sends.push({ messageId, messageSid });
    }
    const jobs = await Promise.all(
      sends.map(({ messageSid }) => {
        const job = prepareJob('apply-sms-statuses', { callbacks: [delivered(messageSid)] });
        return h.queues['sms-status'].add(job.name, job.data, { ...job.opts, attempts: ATTEMPTS });
      }),
    );
    await waitFor(
      'every job to wait out more outage retries than it has attempts',
      async () => {
        const current = await Promise.all(jobs.map((job) => h.queues['sms-status'].getJob(job.id ?? '')));
        return current.every((job) => !job?.failedReason && Number(job?.data[OUTAGE_RETRIES_KEY]) > ATTEMPTS);
      },
      { timeoutMs: 30_000, intervalMs: 100 },
    );

    await database.open();
    for (const { messageId } of sends)
      await waitFor(
        'the message to be delivered',
        async () => (await readOnboardingMessage(h.testDb.db, messageId)).status === 'delivered',
        { timeoutMs: 60_000, intervalMs: 100 },
      );
    for (const job of jobs) {
      const done = await waitFor('the job to complete', async () => {
        const current = await h.queues['sms-status'].getJob(job.id ?? '');
        return current?.finishedOn ? current : undefined;
      });
      expect(done.failedReason).toBeUndefined();
      expect(done.attemptsMade).toBeLessThanOrEqual(1);
    }
  });
});
