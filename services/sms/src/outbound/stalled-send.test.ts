import type { ChildProcess } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { addJob, sendKeyFor } from '@series-killer/shared';
import { waitFor } from '@series-killer/shared/testing';
import { createOnboardingMessage, createUser } from '../testing/sms-fixtures.ts';
import { type SmsHarness, startSmsHarness } from '../testing/sms-harness.ts';
import { startSmsWorkerProcess, stopProcess } from '../testing/sms-worker-process.ts';

/** How long the sandbox holds the first Twilio request: past the moment the stalled job runs again. */
const HOLD_MS = 15_000;
const TEST_TIMEOUT_MS = 90_000;

let h: SmsHarness;
const children: ChildProcess[] = [];

function startWorkerProcess(): ChildProcess {
  const child = startSmsWorkerProcess(h);
  children.push(child);
  return child;
}

beforeAll(async () => {
  h = await startSmsHarness({ ingress: false, workers: false, env: { SMS_MAX_PER_SECOND: '500' } });
  h.sandbox.setCallbackMode({ enabled: false });
});

afterAll(async () => {
  for (const child of children) {
    child.kill('SIGCONT');
    await stopProcess(child, 'SIGKILL');
  }
  await h.close();
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

      const stalled = startWorkerProcess();
      await waitFor('the first run to claim the send', () =>
        h.testDb.db.selectFrom('sms_deliveries').select(['id']).where('send_key', '=', sendKey).executeTakeFirst(),
      );
      // Frozen past its job lock, as a worker stalled or cut off from Redis is: the job runs again elsewhere.
      stalled.kill('SIGSTOP');
      startWorkerProcess();
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
    TEST_TIMEOUT_MS,
  );
});
