import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { JobData } from '@series-killer/shared';
import { uniqueTestPhone } from '@series-killer/shared/testing';
import { createTwilioClient } from '@series-killer/shared/twilio';
import { UnrecoverableError } from 'bullmq';
import { createSmsMetrics } from '../metrics/sms-metrics.ts';
import {
  createOnboardingMessage,
  createUser,
  readOnboardingMessage,
  readProfileStatus,
} from '../testing/sms-fixtures.ts';
import { type SmsHarness, startSmsHarness } from '../testing/sms-harness.ts';
import { type SendAttempt, type SendSmsDeps, sendSms, TwilioAccountError } from './send-sms.ts';
import { createTwilioSmsSender } from './sms-sender.ts';

let h: SmsHarness;
let deps: SendSmsDeps;

beforeAll(async () => {
  h = await startSmsHarness({ ingress: false, workers: false });
  h.sandbox.setCallbackMode({ enabled: false });
  deps = {
    db: h.testDb.db,
    metrics: createSmsMetrics(),
    sender: createTwilioSmsSender(createTwilioClient(h.config.twilio), {
      fromNumber: h.config.twilio.fromNumber,
      statusCallbackUrl: `${h.config.http.publicBaseUrl}/twilio/sms/status`,
    }),
  };
});

afterAll(async () => {
  await h.close();
});

function attempt(overrides: Partial<SendAttempt> = {}): SendAttempt & { saved: string[] } {
  const saved: string[] = [];
  return {
    queuedAt: new Date(),
    retried: false,
    saveMessageSid: async (messageSid) => {
      saved.push(messageSid);
    },
    saved,
    ...overrides,
  };
}

function sendData(to: string, body: string, extra: Partial<JobData<'send-sms'>> = {}): JobData<'send-sms'> {
  return { sendKey: `test.${to}.${body}`, to, body, userId: null, ...extra };
}

function sandboxCount(to: string): number {
  return h.sandbox.messages().filter((message) => message.to === to).length;
}

async function historyCount(to: string): Promise<number> {
  const rows = await h.testDb.db.selectFrom('sms_history').select(['id']).where('phone_number', '=', to).execute();
  return rows.length;
}

describe('sendSms exactly once', () => {
  it('saves the SID as soon as Twilio accepts', async () => {
    const to = uniqueTestPhone();
    const first = attempt();
    const result = await sendSms(deps, sendData(to, 'hello'), first);
    expect(result).toMatchObject({ outcome: 'sent', resumed: false });
    expect(first.saved).toEqual([result.outcome === 'sent' ? result.messageSid : '']);
  });

  it('records the SID an earlier attempt saved instead of sending again', async () => {
    const to = uniqueTestPhone();
    const messageSid = await deps.sender.send({ to, body: 'saved before the crash' });
    const result = await sendSms(
      deps,
      sendData(to, 'saved before the crash'),
      attempt({ retried: true, savedMessageSid: messageSid }),
    );
    expect(result).toEqual({ outcome: 'sent', messageSid, resumed: true });
    expect(sandboxCount(to)).toBe(1);
    expect(await historyCount(to)).toBe(1);
  });

  it('finds a message Twilio accepted just before a crash, when not even its SID was saved', async () => {
    const to = uniqueTestPhone();
    const user = await createUser(h.testDb.db, { phoneNumber: to });
    const onboardingMessageId = await createOnboardingMessage(h.testDb.db, user, 'welcome');
    const queuedAt = new Date();
    const messageSid = await deps.sender.send({ to, body: 'Welcome, Ada' });

    const retry = attempt({ queuedAt, retried: true });
    const result = await sendSms(
      deps,
      sendData(to, 'Welcome, Ada', { userId: user.userId, onboardingMessageId }),
      retry,
    );
    expect(result).toEqual({ outcome: 'sent', messageSid, resumed: true });
    expect(sandboxCount(to)).toBe(1);
    expect(await historyCount(to)).toBe(1);

    // A later duplicate of the job finds the message already sent.
    expect(
      await sendSms(
        deps,
        sendData(to, 'Welcome, Ada', { userId: user.userId, onboardingMessageId }),
        attempt({ retried: true }),
      ),
    ).toEqual({
      outcome: 'skipped',
      reason: 'onboarding message already sent',
    });
    expect(sandboxCount(to)).toBe(1);
  });

  it('does not claim a message another send already recorded', async () => {
    const to = uniqueTestPhone();
    await sendSms(deps, sendData(to, 'same words', { sendKey: 'first' }), attempt());
    const second = await sendSms(deps, sendData(to, 'same words', { sendKey: 'second' }), attempt({ retried: true }));
    expect(second).toMatchObject({ outcome: 'sent', resumed: false });
    expect(sandboxCount(to)).toBe(2);
    expect(await historyCount(to)).toBe(2);
  });
});

describe('sendSms when Twilio refuses the account', () => {
  it('retries without failing the message or the onboarding', async () => {
    const wrongCredentials: SendSmsDeps = {
      ...deps,
      sender: createTwilioSmsSender(createTwilioClient({ ...h.config.twilio, authToken: 'not-the-auth-token' }), {
        fromNumber: h.config.twilio.fromNumber,
        statusCallbackUrl: `${h.config.http.publicBaseUrl}/twilio/sms/status`,
      }),
    };
    const user = await createUser(h.testDb.db);
    const onboardingMessageId = await createOnboardingMessage(h.testDb.db, user, 'welcome');

    const sending = sendSms(
      wrongCredentials,
      sendData(user.phoneNumber, 'Welcome, Ada', { userId: user.userId, onboardingMessageId }),
      attempt(),
    );

    await expect(sending).rejects.toThrow(TwilioAccountError);
    await expect(sending).rejects.not.toThrow(UnrecoverableError);
    await expect(sending).rejects.toThrow('20003: authentication failed');
    expect(await readOnboardingMessage(h.testDb.db, onboardingMessageId)).toMatchObject({
      status: 'pending',
      error_message: null,
    });
    expect(await readProfileStatus(h.testDb.db, user.userId)).toBe('pending');
  });
});
