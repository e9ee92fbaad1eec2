import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { addJob, createLogger } from '@series-killer/shared';
import { waitFor } from '@series-killer/shared/testing';
import { Registry } from 'prom-client';
import { type SmsWorkers, startSmsWorkers } from '../start-sms-workers.ts';
import {
  createOnboardingMessage,
  createUser,
  readOnboardingMessage,
  readProfileStatus,
} from '../testing/sms-fixtures.ts';
import { type SmsHarness, startSmsHarness } from '../testing/sms-harness.ts';
import { isConfigurationFault, isMessageRefusal } from '../twilio-errors/twilio-error-codes.ts';

let h: SmsHarness;
const logLines: string[] = [];

beforeAll(async () => {
  h = await startSmsHarness({ ingress: false, workers: false });
  h.sandbox.setCallbackMode({ enabled: false });
});

afterAll(async () => {
  await h.close();
});

/** SMS workers sending from `fromNumber`, logging into logLines, with their own metrics. */
async function workersSendingFrom(fromNumber: string): Promise<SmsWorkers> {
  const logger = createLogger('sms', 'info', { write: (line: string) => void logLines.push(line) });
  const twilio = { ...h.config.twilio, fromNumber };
  return startSmsWorkers({ ...h.config, twilio }, { logger, registry: new Registry() });
}

async function counted(workers: SmsWorkers, code: number): Promise<number> {
  const metric = await workers.metrics.getSingleMetric('sms_configuration_errors_total')?.get();
  return metric?.values.find((value) => value.labels.code === String(code))?.value ?? 0;
}

/** The send of an onboarding welcome, as onboarding hands it over. */
async function sendWelcome(user: { userId: string; phoneNumber: string }, messageId: number): Promise<void> {
  await addJob(h.queues, 'send-sms', {
    sendKey: `onboarding-message.${messageId}`,
    to: user.phoneNumber,
    body: 'Welcome, Ada',
    userId: user.userId,
    onboardingMessageId: messageId,
  });
}

describe('Twilio refusals caused by our sender configuration', () => {
  it('reads 21212, 21606, 21608 and 21611 as ours, not the message’s', () => {
    for (const code of [21212, 21606, 21608, 21611]) {
      expect(isConfigurationFault(code)).toBe(true);
      expect(isMessageRefusal(code)).toBe(false);
    }
    for (const code of [21211, 21610, 21612, 21614]) expect(isMessageRefusal(code)).toBe(true);
  });

  it('hold the send without failing the message or the profile, and it goes out once the configuration is fixed', async () => {
    const waiting: { userId: string; messageId: number }[] = [];
    // Twilio's magic From numbers: 21212 invalid, 21606 not SMS-capable, 21611 queue full.
    for (const [fromNumber, code] of [
      ['+15005550001', 21212],
      ['+15005550007', 21606],
      ['+15005550008', 21611],
    ] as const) {
      const user = await createUser(h.testDb.db);
      const messageId = await createOnboardingMessage(h.testDb.db, user, 'welcome');
      waiting.push({ userId: user.userId, messageId });
      const broken = await workersSendingFrom(fromNumber);
      await sendWelcome(user, messageId);

      await waitFor(`a ${code} counted`, async () => (await counted(broken, code)) === 1);
      await broken.close();
      expect(await readOnboardingMessage(h.testDb.db, messageId)).toMatchObject({
        status: 'pending',
        error_message: expect.stringContaining(`${code}: `),
      });
      expect(await readProfileStatus(h.testDb.db, user.userId)).toBe('pending');
      const job = await h.queues['sms-outbound'].getJob(`send.onboarding-message.${messageId}`);
      expect(await job?.getState()).toBe('delayed');
      expect(job?.attemptsMade).toBe(0);
      expect(logLines.filter((line) => line.includes(`"code":${code}`) || line.includes(`${code}: `))).not.toEqual([]);
      expect(logLines.some((line) => /"level":50.*waits for it to be fixed/.test(line))).toBe(true);
    }

    const fixed = await workersSendingFrom(h.config.twilio.fromNumber ?? '');
    try {
      for (const { userId, messageId } of waiting) {
        // Now instead of after the wait, as a fixed deployment eventually sends it.
        await (await h.queues['sms-outbound'].getJob(`send.onboarding-message.${messageId}`))?.promote();
        await waitFor('the message sent', async () => {
          const row = await readOnboardingMessage(h.testDb.db, messageId);
          return row.status === 'sent' && row;
        });
        // The note of the wait went with the problem.
        expect((await readOnboardingMessage(h.testDb.db, messageId)).error_message).toBeNull();
        expect(await readProfileStatus(h.testDb.db, userId)).toBe('sms_sent');
      }
    } finally {
      await fixed.close();
    }
  });

  it('hold a send a trial account may not make (21608) until the account is upgraded, then send it once', async () => {
    const user = await createUser(h.testDb.db);
    const messageId = await createOnboardingMessage(h.testDb.db, user, 'welcome');
    h.sandbox.setTwilioMode({ trialAccount: true });
    const workers = await workersSendingFrom(h.config.twilio.fromNumber ?? '');
    try {
      await sendWelcome(user, messageId);
      await waitFor('a 21608 counted', async () => (await counted(workers, 21608)) === 1);
      expect(await readOnboardingMessage(h.testDb.db, messageId)).toMatchObject({
        status: 'pending',
        error_message: expect.stringContaining('21608: '),
      });
      expect(await readProfileStatus(h.testDb.db, user.userId)).toBe('pending');
      const job = await h.queues['sms-outbound'].getJob(`send.onboarding-message.${messageId}`);
      expect(await job?.getState()).toBe('delayed');

      h.sandbox.setTwilioMode({});
      await job?.promote();
      await waitFor(
        'the message sent',
        async () => (await readOnboardingMessage(h.testDb.db, messageId)).status === 'sent',
      );
      expect(await readProfileStatus(h.testDb.db, user.userId)).toBe('sms_sent');
      expect(h.sandbox.messages().filter((message) => message.to === user.phoneNumber)).toHaveLength(1);
    } finally {
      h.sandbox.setTwilioMode({});
      await workers.close();
    }
  });
});
