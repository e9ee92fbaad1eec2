import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { JobData } from '@series-killer/shared';
import { uniqueTestPhone } from '@series-killer/shared/testing';
import { createTwilioClient } from '@series-killer/shared/twilio';
import { UnrecoverableError } from 'bullmq';
import { claimDelivery } from '../deliveries/sms-deliveries.repository.ts';
import { createSmsMetrics } from '../metrics/sms-metrics.ts';
import {
  createOnboardingMessage,
  createUser,
  readOnboardingMessage,
  readProfileStatus,
} from '../testing/sms-fixtures.ts';
import { type SmsHarness, startSmsHarness } from '../testing/sms-harness.ts';
import {
  deliveryClaimOf,
  LEASE_RECHECK_MS,
  SendInFlightError,
  type SendSmsDeps,
  sendSms,
  TwilioAccountError,
} from './send-sms.ts';
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
    reconcileAfterMs: 600_000,
  };
});

afterAll(async () => {
  await h.close();
});

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

/**
 * What an attempt that crashed had done before it called Twilio: claimed the send's delivery
 * record, under a lease that has run out since.
 */
async function claimLikeACrashedAttempt(data: JobData<'send-sms'>) {
  return claimDelivery(h.testDb.db, deliveryClaimOf(data, deps.sender.senderId), { owner: 'crashed', ms: 0 });
}

async function deliveryOf(sendKey: string) {
  return h.testDb.db
    .selectFrom('sms_deliveries')
    .select(['message_sid', 'status', 'send_attempts', 'accepted_at', 'next_reconcile_at', 'to_number', 'sender'])
    .where('send_key', '=', sendKey)
    .executeTakeFirstOrThrow();
}

describe('sendSms exactly once', () => {
  it('claims the delivery record, then records the SID Twilio returned on it', async () => {
    const to = uniqueTestPhone();
    const data = sendData(to, 'hello');
    const result = await sendSms(deps, data);
    expect(result).toMatchObject({ outcome: 'sent', resumed: false });
    const delivery = await deliveryOf(data.sendKey);
    expect(delivery).toMatchObject({
      message_sid: result.outcome === 'sent' ? result.messageSid : '',
      status: 'accepted',
      send_attempts: 1,
      to_number: to,
      sender: h.config.twilio.fromNumber,
    });
    expect(delivery.next_reconcile_at?.getTime()).toBeGreaterThan(Date.now() + 500_000);
  });

  it('answers a repeated send from its delivery record, without Twilio and whatever Redis holds', async () => {
    const to = uniqueTestPhone();
    const data = sendData(to, 'once only');
    const first = await sendSms(deps, data);
    expect(await sendSms(deps, data)).toEqual({ ...first, resumed: true });
    expect(sandboxCount(to)).toBe(1);
    expect(await historyCount(to)).toBe(1);
  });

  it('sends once after a crash between the claim and Twilio, when Twilio had not accepted', async () => {
    const to = uniqueTestPhone();
    const data = sendData(to, 'never reached Twilio');
    await claimLikeACrashedAttempt(data);
    expect(await sendSms(deps, data)).toMatchObject({ outcome: 'sent', resumed: false });
    expect(sandboxCount(to)).toBe(1);
    expect(await deliveryOf(data.sendKey)).toMatchObject({ send_attempts: 2, status: 'accepted' });
  });

  it('does not call Twilio while another attempt holds a live lease on the send', async () => {
    const to = uniqueTestPhone();
    const data = sendData(to, 'in flight elsewhere');
    await claimDelivery(h.testDb.db, deliveryClaimOf(data, deps.sender.senderId), { owner: 'in-flight', ms: 60_000 });

    const sending = sendSms(deps, data);
    await expect(sending).rejects.toThrow(SendInFlightError);
    await expect(sending).rejects.toMatchObject({ retryInMs: LEASE_RECHECK_MS });
    expect(sandboxCount(to)).toBe(0);
    expect(await deliveryOf(data.sendKey)).toMatchObject({ send_attempts: 1, message_sid: null, status: null });
  });

  it('adopts the message after a crash between the claim and Twilio, when Twilio had accepted', async () => {
    const to = uniqueTestPhone();
    const user = await createUser(h.testDb.db, { phoneNumber: to });
    const onboardingMessageId = await createOnboardingMessage(h.testDb.db, user, 'welcome');
    const data = sendData(to, 'Welcome, Ada', { userId: user.userId, onboardingMessageId });
    await claimLikeACrashedAttempt(data);
    const messageSid = await deps.sender.send({ to, body: 'Welcome, Ada' });

    expect(await sendSms(deps, data)).toEqual({ outcome: 'sent', messageSid, resumed: true });
    expect(sandboxCount(to)).toBe(1);
    expect(await historyCount(to)).toBe(1);
    expect(await deliveryOf(data.sendKey)).toMatchObject({ message_sid: messageSid, status: 'accepted' });
    expect(await readOnboardingMessage(h.testDb.db, onboardingMessageId)).toMatchObject({
      status: 'sent',
      message_sid: messageSid,
    });
    expect(await readProfileStatus(h.testDb.db, user.userId)).toBe('sms_sent');
  });

  it('gives two identical sends in flight, both accepted before the crash, one message each', async () => {
    const to = uniqueTestPhone();
    const first = sendData(to, 'same words', { sendKey: `a.${to}` });
    const second = sendData(to, 'same words', { sendKey: `b.${to}` });
    await claimLikeACrashedAttempt(first);
    await claimLikeACrashedAttempt(second);
    const accepted = [
      await deps.sender.send({ to, body: 'same words' }),
      await deps.sender.send({ to, body: 'same words' }),
    ];

    const results = await Promise.all([sendSms(deps, first), sendSms(deps, second)]);
    expect(results.every((r) => r.outcome === 'sent' && r.resumed)).toBe(true);
    const sids = [(await deliveryOf(first.sendKey)).message_sid, (await deliveryOf(second.sendKey)).message_sid];
    expect(sids.sort()).toEqual([...accepted].sort());
    expect(sandboxCount(to)).toBe(2);
    expect(await historyCount(to)).toBe(2);
  });

  it('gives two identical sends in flight, only one accepted before the crash, one message each', async () => {
    const to = uniqueTestPhone();
    const first = sendData(to, 'same words', { sendKey: `a.${to}` });
    const second = sendData(to, 'same words', { sendKey: `b.${to}` });
    await claimLikeACrashedAttempt(first);
    await claimLikeACrashedAttempt(second);
    const accepted = await deps.sender.send({ to, body: 'same words' });

    await sendSms(deps, first);
    await sendSms(deps, second);
    const sids = [(await deliveryOf(first.sendKey)).message_sid, (await deliveryOf(second.sendKey)).message_sid];
    expect(sids).toContain(accepted);
    expect(new Set(sids).size).toBe(2);
    expect(sandboxCount(to)).toBe(2);
    expect(await historyCount(to)).toBe(2);
  });

  it('does not adopt a message another send already recorded', async () => {
    const to = uniqueTestPhone();
    await sendSms(deps, sendData(to, 'same words', { sendKey: `first.${to}` }));
    const data = sendData(to, 'same words', { sendKey: `second.${to}` });
    await claimLikeACrashedAttempt(data);
    expect(await sendSms(deps, data)).toMatchObject({ outcome: 'sent', resumed: false });
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
