import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { addJob, sendKeyFor } from '@series-killer/shared';
import { uniqueTestPhone, waitFor } from '@series-killer/shared/testing';
import { createOnboardingMessage, createUser } from '../testing/sms-fixtures.ts';
import { type SmsHarness, startSmsHarness } from '../testing/sms-harness.ts';
import { smsWorkerProcesses, stopProcess as stop } from '../testing/sms-worker-process.ts';

const SENDS = 150;
/**
 * A killed worker's jobs run again once their 5 s lock expired and a stalled check (every 2.5 s)
 * saw it; those whose send was under way wait for its lease (SEND_LEASE_MS, 30 s) to run out.
 */
const RECOVERY_TIMEOUT_MS = 60_000;
/** How long the sandbox holds the first Twilio request: past the moment the stalled job runs again. */
const HOLD_MS = 15_000;
const STALL_TEST_TIMEOUT_MS = 90_000;

let h: SmsHarness;
const workers = smsWorkerProcesses(() => h);

beforeAll(async () => {
  h = await startSmsHarness({ ingress: false, workers: false, env: { SMS_MAX_PER_SECOND: '500' } });
  h.sandbox.setCallbackMode({ enabled: false });
});

afterAll(async () => {
  await workers.stopAll();
  await h.close();
});

describe('a worker process killed mid-batch', () => {
  it(
    'sends and records every message exactly once after a restart',
    async () => {
      const onboardingIds: number[] = [];
      for (let i = 0; i < SENDS; i += 1) {
        const user = await createUser(h.testDb.db, { phoneNumber: uniqueTestPhone() });
        const onboardingMessageId = await createOnboardingMessage(h.testDb.db, user, 'welcome');
        onboardingIds.push(onboardingMessageId);
        await addJob(h.queues, 'send-sms', {
          sendKey: sendKeyFor.onboardingMessage(onboardingMessageId),
          to: user.phoneNumber,
          body: `Welcome #${i}`,
          userId: user.userId,
          onboardingMessageId,
        });
      }

      const first = workers.start();
      await waitFor('part of the batch to be sent', () => h.sandbox.messages().length >= SENDS / 4, {
        timeoutMs: 20_000,
      });
      await stop(first, 'SIGKILL');
      expect(h.sandbox.messages().length).toBeLessThan(SENDS);
      // The kill caught sends in flight: their jobs are still active, locked by a dead process.
      expect((await h.queues['sms-outbound'].getJobCounts('active')).active).toBeGreaterThan(0);

      const second = workers.start();
      await waitFor(
        'every send to complete',
        async () => (await h.queues['sms-outbound'].getJobCounts('completed')).completed === SENDS,
        { timeoutMs: RECOVERY_TIMEOUT_MS, intervalMs: 250 },
      );
      expect(await stop(second, 'SIGTERM')).toBe(0);

      const bodies = h.sandbox.messages().map((message) => message.body);
      expect(bodies).toHaveLength(SENDS);
      expect(new Set(bodies).size).toBe(SENDS);

      const history = await h.testDb.db
        .selectFrom('sms_history')
        .select(['message_sid'])
        .where('direction', '=', 'outbound')
        .execute();
      expect(history.map((row) => row.message_sid).sort()).toEqual(
        h.sandbox
          .messages()
          .map((m) => m.sid)
          .sort(),
      );

      const rows = await h.testDb.db
        .selectFrom('onboarding_messages')
        .select(['status', 'message_sid'])
        .where('id', 'in', onboardingIds)
        .execute();
      expect(rows.every((row) => row.status === 'sent' && row.message_sid !== null)).toBe(true);
    },
    RECOVERY_TIMEOUT_MS + 30_000,
  );
});

describe('a send whose worker stalls while Twilio holds the request', () => {
  it(
    'is sent once: the job run again by another worker waits for the lease instead of sending',
    async () => {
      const user = await createUser(h.testDb.db);
      const onboardingMessageId = await createOnboardingMessage(h.testDb.db, user, 'welcome');
      const sendKey = sendKeyFor.onboardingMessage(onboardingMessageId);
      h.sandbox.setTwilioMode({ latencyMs: HOLD_MS, times: 1 });
      const jobId = await addJob(h.queues, 'send-sms', {
        sendKey,
        to: user.phoneNumber,
        body: 'Welcome, Ada',
        userId: user.userId,
        onboardingMessageId,
      });

      const stalled = workers.start();
      await waitFor('the first run to claim the send', () =>
        h.testDb.db.selectFrom('sms_deliveries').select(['id']).where('send_key', '=', sendKey).executeTakeFirst(),
      );
      // Frozen past its job lock, as a worker stalled or cut off from Redis is: the job runs again elsewhere.
      stalled.kill('SIGSTOP');
      workers.start();
      await waitFor(
        'the job to run again on the other worker',
        async () => ((await h.queues['sms-outbound'].getJob(jobId ?? ''))?.attemptsStarted ?? 0) >= 2,
        { timeoutMs: 30_000, intervalMs: 200 },
      );
      stalled.kill('SIGCONT');

      const state = await waitFor(
        'the send to finish and the held request to be answered',
        async () => {
          const finished = await h.queues['sms-outbound'].getJobState(jobId ?? '');
          const answered = h.sandbox.twilioRequests().some((request) => request.heldMs !== undefined);
          return answered && (finished === 'completed' || finished === 'failed') ? finished : undefined;
        },
        { timeoutMs: 60_000, intervalMs: 200 },
      );

      const messages = h.sandbox.messages().filter((message) => message.to === user.phoneNumber);
      expect(messages).toHaveLength(1);
      expect(state).toBe('completed');
      const delivery = await h.testDb.db
        .selectFrom('sms_deliveries')
        .select(['message_sid', 'lease_owner', 'lease_expires_at'])
        .where('send_key', '=', sendKey)
        .executeTakeFirstOrThrow();
      expect(delivery).toEqual({ message_sid: messages[0]?.sid, lease_owner: null, lease_expires_at: null });
    },
    STALL_TEST_TIMEOUT_MS,
  );
});
