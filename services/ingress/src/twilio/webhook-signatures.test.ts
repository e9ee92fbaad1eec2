import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Sandbox } from '@series-killer/sandbox';
import { fakeSid } from '@series-killer/shared/testing';
import twilio from 'twilio';
import { type IngressHarness, startIngressHarness } from '../testing/ingress-harness.ts';

const APP_NUMBER = '+15005550006';
const SHARED_KEY = { id: 'KS0123456789abcdef0123456789abcdef', secret: 'webhook-rule-shared-key-secret' };

function statusCallback(messageSid: string): Record<string, string> {
  return { MessageSid: messageSid, MessageStatus: 'delivered', AccountSid: `AC${'0'.repeat(32)}`, To: '+19713364433' };
}

describe('webhook signatures as Twilio makes them', () => {
  let h: IngressHarness;
  let sandbox: Sandbox;
  beforeAll(async () => {
    h = await startIngressHarness(
      { TWILIO_WEBHOOK_SHARED_KEY: SHARED_KEY.secret, TWILIO_WEBHOOK_SHARED_KEY_ID: SHARED_KEY.id },
      { sandbox: true },
    );
    if (!h.sandbox) throw new Error('the harness started no sandbox');
    sandbox = h.sandbox;
  });
  afterAll(async () => {
    await h.close();
  });

  function post(path: string, params: Record<string, string>, headers: Record<string, string>) {
    return fetch(h.ingress.url + path, { method: 'POST', headers, body: new URLSearchParams(params) });
  }

  it('accepts a callback signed over its URL with the connection-override fragment Twilio was given', async () => {
    const params = statusCallback(fakeSid('SM'));
    const url = `${h.config.http.publicBaseUrl}/twilio/sms/status#${h.config.twilio.callbackOverrides}`;
    const signature = twilio.getExpectedTwilioSignature(h.config.twilio.authToken, url, params);
    const response = await post('/twilio/sms/status', params, { 'X-Twilio-Signature': signature });
    expect(response.status).toBe(204);
    const otherFragment = twilio.getExpectedTwilioSignature(h.config.twilio.authToken, `${url}&ct=1000`, params);
    expect((await post('/twilio/sms/status', params, { 'X-Twilio-Signature': otherFragment })).status).toBe(403);
  });

  it('accepts a signature made over the URL without its port, as Twilio may sign it', async () => {
    const params = statusCallback(fakeSid('SM'));
    const withoutPort = new URL(`${h.config.http.publicBaseUrl}/twilio/sms/status`);
    withoutPort.port = '';
    const signature = twilio.getExpectedTwilioSignature(h.config.twilio.authToken, withoutPort.toString(), params);
    expect((await post('/twilio/sms/status', params, { 'X-Twilio-Signature': signature })).status).toBe(204);
  });

  it('accepts a webhook the sandbox signs with the Webhook Rule shared key (HMAC-SHA256)', async () => {
    sandbox.setWebhookSigningMode({ sharedKey: { ...SHARED_KEY, algorithm: 'HMAC_SHA256' } });
    try {
      const { messageSid, status } = await sandbox.sendInboundSms({ from: '+19713364433', to: APP_NUMBER, body: 'hi' });
      expect(status).toBe(200);
      const delivery = sandbox.webhooks().find((webhook) => webhook.params.MessageSid === messageSid);
      expect(delivery?.status).toBe(200);
      expect(await h.queues['sms-inbound'].getJob(`inbound.${messageSid}`)).toBeDefined();
    } finally {
      sandbox.setWebhookSigningMode({});
    }
  });

  it('refuses a shared-key signature naming another key, and one made with the auth token instead', async () => {
    sandbox.setWebhookSigningMode({ sharedKey: { ...SHARED_KEY, id: 'KSanotherkey', algorithm: 'HMAC_SHA256' } });
    try {
      const other = await sandbox.sendInboundSms({ from: '+19713364433', to: APP_NUMBER, body: 'hi' });
      expect(other.status).toBe(403);
      sandbox.setWebhookSigningMode({
        sharedKey: { ...SHARED_KEY, secret: h.config.twilio.authToken, algorithm: 'HMAC_SHA256' },
      });
      const wrongKey = await sandbox.sendInboundSms({ from: '+19713364433', to: APP_NUMBER, body: 'hi' });
      expect(wrongKey.status).toBe(403);
      expect(await h.jobCount('sms-inbound')).toBe(1);
    } finally {
      sandbox.setWebhookSigningMode({});
    }
  });

  it('refuses a signature settings header naming an algorithm it does not know, with 403', async () => {
    const params = statusCallback(fakeSid('SM'));
    const signature = twilio.getExpectedTwilioSignature(
      SHARED_KEY.secret,
      `${h.config.http.publicBaseUrl}/twilio/sms/status`,
      params,
    );
    const response = await post('/twilio/sms/status', params, {
      'X-Twilio-Signature': signature,
      'X-Twilio-Webhooks-Signature-Settings': `key=${SHARED_KEY.id},algorithm=HMAC_SHA512`,
    });
    expect(response.status).toBe(403);
    expect(await response.json()).toEqual({ error: 'unsupported webhook signature algorithm "HMAC_SHA512"' });
  });
});

describe('webhook signatures without a configured shared key', () => {
  let h: IngressHarness;
  beforeAll(async () => {
    h = await startIngressHarness({}, { sandbox: true });
  });
  afterAll(async () => {
    await h.close();
  });

  it('refuses webhooks signed under a Webhook Rule shared key with 403', async () => {
    const sandbox = h.sandbox as Sandbox;
    sandbox.setWebhookSigningMode({ sharedKey: { ...SHARED_KEY, algorithm: 'HMAC_SHA256' } });
    const { status } = await sandbox.sendInboundSms({ from: '+19713364433', to: APP_NUMBER, body: 'hi' });
    expect(status).toBe(403);
    expect(await h.jobCount('sms-inbound')).toBe(0);
  });
});
