import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { SANDBOX_DEFAULTS } from '@series-killer/shared';
import { waitFor } from '@series-killer/shared/testing';
import { createTwilioClient, type TwilioClient } from '@series-killer/shared/twilio';
import twilio from 'twilio';
import { type Sandbox, startSandbox } from '../../sandbox.ts';
import { type ReceivedWebhook, startWebhookReceiver, type WebhookReceiver } from '../../testing/webhook-receiver.ts';

const accountSid = SANDBOX_DEFAULTS.twilioAccountSid;
const authToken = SANDBOX_DEFAULTS.twilioAuthToken;
const from = SANDBOX_DEFAULTS.twilioFromNumber;

let sandbox: Sandbox;
let receiver: WebhookReceiver;
let client: TwilioClient;

beforeAll(async () => {
  receiver = await startWebhookReceiver(authToken);
  sandbox = await startSandbox({ accountSid, authToken, webhookRetryBaseMs: 10 });
  client = createTwilioClient({ accountSid, authToken, apiBaseUrl: sandbox.url });
});

afterAll(async () => {
  await sandbox.close();
  await receiver.close();
});

beforeEach(() => {
  sandbox.setCallbackMode({});
  receiver.respondWith(() => 204);
});

async function send(to: string, extra: { messagingServiceSid?: string } = {}): Promise<string> {
  const message = await client.messages.create({
    to,
    body: 'Your code is 123456',
    statusCallback: `${receiver.url}/twilio/sms/status`,
    ...(extra.messagingServiceSid ? { messagingServiceSid: extra.messagingServiceSid } : { from }),
  });
  return message.sid;
}

function callbacksOf(sid: string): ReceivedWebhook[] {
  return receiver.received.filter((w) => w.params.MessageSid === sid);
}

function waitForCallbacks(sid: string, count: number): Promise<ReceivedWebhook[]> {
  return waitFor(`${count} callbacks for ${sid}`, () => {
    const got = callbacksOf(sid);
    return got.length >= count ? got : undefined;
  });
}

describe('status callbacks', () => {
  it('posts sent then delivered, form-encoded, signed, with Twilio’s parameters', async () => {
    const sid = await send('+14155550110');
    const [sent, delivered] = await waitForCallbacks(sid, 2);

    expect(sent?.params).toEqual({
      AccountSid: accountSid,
      ApiVersion: '2010-04-01',
      From: from,
      MessageSid: sid,
      MessageStatus: 'sent',
      SmsSid: sid,
      SmsStatus: 'sent',
      To: '+14155550110',
    });
    expect(delivered?.params).toMatchObject({ MessageStatus: 'delivered', SmsStatus: 'delivered' });
    expect(delivered?.params.RawDlrDoneDate).toMatch(/^\d{10}$/);
    for (const callback of [sent, delivered]) {
      expect(callback?.path).toBe('/twilio/sms/status');
      expect(callback?.contentType).toBe('application/x-www-form-urlencoded');
      expect(callback?.validSignature).toBe(true);
      expect(callback?.idempotencyToken).toEqual(expect.any(String));
    }
    expect(sent?.idempotencyToken).not.toBe(delivered?.idempotencyToken);
    await waitFor('the message to be delivered', () =>
      sandbox.messages().find((m) => m.sid === sid && m.status === 'delivered'),
    );
    expect((await client.messages(sid).fetch()).status).toBe('delivered');
  });

  it('signs so that a tampered callback fails validation', async () => {
    const sid = await send('+14155550111');
    const [sent] = await waitForCallbacks(sid, 1);
    const url = `${receiver.url}/twilio/sms/status`;
    const params = sent?.params ?? {};
    expect(twilio.validateRequest(authToken, sent?.signature ?? '', url, params)).toBe(true);
    expect(
      twilio.validateRequest(authToken, sent?.signature ?? '', url, { ...params, MessageStatus: 'delivered' }),
    ).toBe(false);
    expect(twilio.validateRequest('another-token', sent?.signature ?? '', url, params)).toBe(false);
    expect(twilio.validateRequest(authToken, sent?.signature ?? '', `${url}?x=1`, params)).toBe(false);
  });

  it('reports undelivered with an ErrorCode when the mode says so', async () => {
    sandbox.setCallbackMode({ outcome: 'undelivered', errorCode: 30006 });
    const sid = await send('+14155550112');
    const [, undelivered] = await waitForCallbacks(sid, 2);
    expect(undelivered?.params).toMatchObject({ MessageStatus: 'undelivered', ErrorCode: '30006' });
    const message = await client.messages(sid).fetch();
    expect(message.status).toBe('undelivered');
    expect(message.errorCode).toBe(30006);
  });

  it('sends each callback twice with the same idempotency token when duplicating', async () => {
    sandbox.setCallbackMode({ duplicate: true });
    const sid = await send('+14155550113');
    const callbacks = await waitForCallbacks(sid, 4);
    expect(callbacks.map((c) => c.params.MessageStatus)).toEqual(['sent', 'sent', 'delivered', 'delivered']);
    expect(callbacks[0]?.idempotencyToken).toBe(callbacks[1]?.idempotencyToken);
    expect(callbacks[2]?.idempotencyToken).toBe(callbacks[3]?.idempotencyToken);
  });

  it('delivers delivered before sent when shuffling, and the status still ends delivered', async () => {
    sandbox.setCallbackMode({ shuffle: true });
    const sid = await send('+14155550114');
    const callbacks = await waitForCallbacks(sid, 2);
    expect(callbacks.map((c) => c.params.MessageStatus)).toEqual(['delivered', 'sent']);
    await waitFor('the status to settle', () => sandbox.messages().find((m) => m.sid === sid)?.status === 'delivered');
  });

  it('applies a rule for one To number on top of the global mode', async () => {
    sandbox.setCallbackModeFor('+14155550115', { outcome: 'undelivered' });
    const ruled = await send('+14155550115');
    const other = await send('+14155550116');
    const [ruledCallbacks, otherCallbacks] = await Promise.all([
      waitForCallbacks(ruled, 2),
      waitForCallbacks(other, 2),
    ]);
    expect(ruledCallbacks[1]?.params).toMatchObject({ MessageStatus: 'undelivered', ErrorCode: '30003' });
    expect(otherCallbacks[1]?.params.MessageStatus).toBe('delivered');
    sandbox.setCallbackModeFor('+14155550115', undefined);
  });

  it('names the Messaging Service and the sender it picked', async () => {
    const messagingServiceSid = `MG${'2'.repeat(32)}`;
    const sid = await send('+14155550117', { messagingServiceSid });
    const [sent] = await waitForCallbacks(sid, 1);
    expect(sent?.params).toMatchObject({ MessagingServiceSid: messagingServiceSid, From: from });
  });

  it('retries a callback the application failed with a 5xx, keeping its idempotency token', async () => {
    let failures = 2;
    receiver.respondWith((webhook) => (webhook.params.MessageStatus === 'sent' && failures-- > 0 ? 503 : 204));
    const sid = await send('+14155550118');
    const callbacks = await waitForCallbacks(sid, 4);
    expect(callbacks.map((c) => c.params.MessageStatus)).toEqual(['sent', 'sent', 'sent', 'delivered']);
    expect(new Set(callbacks.slice(0, 3).map((c) => c.idempotencyToken)).size).toBe(1);
    const attempts = sandbox.webhooks().filter((w) => w.params.MessageSid === sid && w.params.MessageStatus === 'sent');
    expect(attempts.map((a) => a.status)).toEqual([503, 503, 204]);
  });

  it('sends no callbacks when disabled, while the message is still delivered', async () => {
    sandbox.setCallbackMode({ enabled: false });
    const sid = await send('+14155550119');
    await waitFor('the message to be delivered', () =>
      sandbox.messages().find((m) => m.sid === sid && m.status === 'delivered'),
    );
    expect(callbacksOf(sid)).toEqual([]);
  });

  it('answers a fetch with the status the message moved on to while its callbacks were off', async () => {
    sandbox.setCallbackMode({ enabled: false, outcome: 'undelivered', errorCode: 30005 });
    const sid = await send('+14155550120');
    const fetched = await waitFor('the fetched message to be undelivered', async () => {
      const message = await client.messages(sid).fetch();
      return message.status === 'undelivered' ? message : undefined;
    });
    expect(fetched.errorCode).toBe(30005);
    expect(callbacksOf(sid)).toEqual([]);
  });
});
