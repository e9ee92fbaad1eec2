import type { ChildProcess } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { addJob, sendKeyFor } from '@series-killer/shared';
import { uniqueTestPhone, waitFor } from '@series-killer/shared/testing';
import { createOnboardingMessage, createUser } from '../testing/sms-fixtures.ts';
import { type SmsHarness, startSmsHarness } from '../testing/sms-harness.ts';
import { startSmsWorkerProcess, stopProcess as stop } from '../testing/sms-worker-process.ts';

const SENDS = 150;
/**
 * A killed worker's jobs run again once their 5 s lock expired and a stalled check (every 2.5 s)
 * saw it; those whose send was under way wait for its lease (SEND_LEASE_MS, 30 s) to run out.
 */
const RECOVERY_TIMEOUT_MS = 60_000;

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
  for (const child of children) await stop(child, 'SIGKILL');
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

      const first = startWorkerProcess();
      await waitFor('part of the batch to be sent', () => h.sandbox.messages().length >= SENDS / 4, {
        timeoutMs: 20_000,
      });
      await stop(first, 'SIGKILL');
      expect(h.sandbox.messages().length).toBeLessThan(SENDS);
      // The kill caught sends in flight: their jobs are still active, locked by a dead process.
      expect((await h.queues['sms-outbound'].getJobCounts('active')).active).toBeGreaterThan(0);

      const second = startWorkerProcess();
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
