import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { twilioSignature as signParams } from '@series-killer/shared';
import { fakeSid, freePort, waitFor } from '@series-killer/shared/testing';
import request from 'supertest';
import { type IngressHarness, startIngressHarness, twilioSignature } from '../testing/ingress-harness.ts';
import { TWILIO_MAX_FORM_FIELDS } from './twilio-webhook.ts';

function inboundSms(messageSid: string): Record<string, string> {
  return {
    MessageSid: messageSid,
    SmsMessageSid: messageSid,
    SmsSid: messageSid,
    AccountSid: `AC${'0'.repeat(32)}`,
    From: '+19713364433',
    To: '+15005550006',
    Body: 'hello',
    NumMedia: '0',
    NumSegments: '1',
    SmsStatus: 'received',
    ApiVersion: '2010-04-01',
  };
}

describe('Twilio webhook gate', () => {
  let h: IngressHarness;
  beforeAll(async () => {
    h = await startIngressHarness();
  });
  afterAll(async () => {
    await h.close();
  });

  it('refuses a missing signature with 403 and enqueues nothing', async () => {
    const response = await fetch(`${h.ingress.url}/twilio/sms`, {
      method: 'POST',
      body: new URLSearchParams(inboundSms(fakeSid('SM'))),
    });
    expect(response.status).toBe(403);
    expect(await response.json()).toEqual({ error: 'missing X-Twilio-Signature' });
    expect(await h.jobCount('sms-inbound')).toBe(0);
  });

  it('refuses a forged signature (wrong auth token) with 403', async () => {
    const response = await request(h.ingress.url)
      .post('/twilio/sms')
      .type('form')
      .set('X-Twilio-Signature', 'bm90IGEgcmVhbCBzaWduYXR1cmUhISE=')
      .send(inboundSms(fakeSid('SM')));
    expect(response.status).toBe(403);
    expect(response.body).toEqual({ error: 'invalid X-Twilio-Signature' });
    expect(await h.jobCount('sms-inbound')).toBe(0);
  });

  it('refuses a tampered body, path or query under a signature made for other values', async () => {
    const params = inboundSms(fakeSid('SM'));
    const signature = twilioSignature(h.config, '/twilio/sms', params);
    const tamperedBody = await request(h.ingress.url)
      .post('/twilio/sms')
      .type('form')
      .set('X-Twilio-Signature', signature)
      .send({ ...params, Body: 'hello, changed' });
    const tamperedQuery = await request(h.ingress.url)
      .post('/twilio/sms?extra=1')
      .type('form')
      .set('X-Twilio-Signature', signature)
      .send(params);
    const otherRoute = await request(h.ingress.url)
      .post('/twilio/sms/status')
      .type('form')
      .set('X-Twilio-Signature', signature)
      .send(params);
    expect([tamperedBody.status, tamperedQuery.status, otherRoute.status]).toEqual([403, 403, 403]);
    expect(await h.jobCount('sms-inbound')).toBe(0);
    expect(await h.jobCount('sms-status')).toBe(0);
  });

  it('accepts a signature for PUBLIC_BASE_URL whatever Host header the request arrived with', async () => {
    const sid = fakeSid('SM');
    const params = inboundSms(sid);
    const response = await request(h.ingress.url)
      .post('/twilio/sms')
      .set('Host', 'internal-load-balancer.local:8080')
      .type('form')
      .set('X-Twilio-Signature', twilioSignature(h.config, '/twilio/sms', params))
      .send(params);
    expect(response.status).toBe(200);
    expect(await h.queues['sms-inbound'].getJob(`inbound.${sid}`)).toBeDefined();
  });

  it('signs the query string too', async () => {
    const sid = fakeSid('SM');
    const params = inboundSms(sid);
    const response = await h.postSigned('/twilio/sms?source=backup', params);
    expect(response.status).toBe(200);
  });

  it('refuses a body over 64 KiB with 413 before checking anything else', async () => {
    const before = await h.jobCount('sms-inbound');
    const params = { ...inboundSms(fakeSid('SM')), Body: 'x'.repeat(70 * 1024) };
    const response = await h.postSigned('/twilio/sms', params);
    expect(response.status).toBe(413);
    expect(await response.json()).toEqual({ error: 'request body too large' });
    const unsigned = await request(h.ingress.url).post('/twilio/sms').type('form').send(params);
    expect(unsigned.status).toBe(413);
    expect(await h.jobCount('sms-inbound')).toBe(before);
  });

  it('refuses a form of more fields than Twilio sends with 413, unparsed, whatever its signature', async () => {
    const before = await h.jobCount('sms-inbound');
    // 32,768 values of one key: parsed, it once blocked the event loop for seconds.
    const manyFields = await request(h.ingress.url)
      .post('/twilio/sms')
      .type('form')
      .set('X-Twilio-Signature', 'bm90IGEgcmVhbCBzaWduYXR1cmUhISE=')
      .send(Array(32_768).fill('a').join('&'));
    expect(manyFields.status).toBe(413);
    expect(manyFields.body).toEqual({ error: `webhook form has more than ${TWILIO_MAX_FORM_FIELDS} fields` });
    const padded = { ...inboundSms(fakeSid('SM')) };
    for (let i = Object.keys(padded).length; i <= TWILIO_MAX_FORM_FIELDS; i++) padded[`Extra${i}`] = 'x';
    const signedButTooMany = await h.postSigned('/twilio/sms', padded);
    expect(signedButTooMany.status).toBe(413);
    expect(await h.jobCount('sms-inbound')).toBe(before);
  });

  it('accepts a signed form that repeats a key, every value signed', async () => {
    const params = { ...inboundSms(fakeSid('SM')), MediaUrl0: ['https://a.example/1', 'https://a.example/2'] };
    const body = new URLSearchParams();
    for (const [key, value] of Object.entries(params))
      for (const item of Array.isArray(value) ? value : [value]) body.append(key, item);
    const url = `${h.config.http.publicBaseUrl}/twilio/sms`;
    const response = await fetch(`${h.ingress.url}/twilio/sms`, {
      method: 'POST',
      headers: { 'X-Twilio-Signature': signParams('HMAC_SHA1', h.config.twilio.authToken, url, params) },
      body,
    });
    expect(response.status).toBe(200);
  });
});

describe('Twilio webhooks from a client that sends slowly', () => {
  let h: IngressHarness;
  beforeAll(async () => {
    h = await startIngressHarness({}, { ingress: { headersTimeoutMs: 200, requestTimeoutMs: 300 } });
  });
  afterAll(async () => {
    await h.close();
  });

  /** Sends `head` and then nothing more; resolves with what the server answered once it closed the socket. */
  function stall(head: string): Promise<string> {
    const { port } = new URL(h.ingress.url);
    const socket = connect(Number(port), '127.0.0.1');
    let answer = '';
    socket.on('data', (chunk) => {
      answer += chunk.toString();
    });
    socket.write(head);
    return new Promise((resolve) => socket.on('close', () => resolve(answer)));
  }

  it('cuts off a request whose body never finishes, and one whose headers never do, with 408', async () => {
    const body = stall(
      'POST /twilio/sms HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 1000\r\n\r\nFrom=',
    );
    const headers = stall('POST /twilio/sms HTTP/1.1\r\nHost: x\r\n');
    let answers: string[] | undefined;
    void Promise.all([body, headers]).then((closed) => {
      answers = closed;
    });
    await waitFor('the stalled requests to be cut off', () => answers, { timeoutMs: 10_000 });
    expect(answers?.map((answer) => answer.split('\r\n')[0])).toEqual([
      'HTTP/1.1 408 Request Timeout',
      'HTTP/1.1 408 Request Timeout',
    ]);
    const healthy = await fetch(`${h.ingress.url}/healthz`);
    expect(healthy.status).toBe(200);
  });
});

describe('Twilio webhooks while Redis is unreachable', () => {
  let h: IngressHarness;
  beforeAll(async () => {
    h = await startIngressHarness({ REDIS_URL: `redis://127.0.0.1:${await freePort()}` });
  });
  afterAll(async () => {
    await h.close();
  });

  it('answers 503 within one second, so that Twilio retries', async () => {
    const startedAt = performance.now();
    const response = await h.postSigned('/twilio/sms', inboundSms(fakeSid('SM')));
    const elapsedMs = performance.now() - startedAt;
    expect(response.status).toBe(503);
    expect(response.headers.get('retry-after')).toBe('1');
    expect(elapsedMs).toBeLessThan(1000);
  });
});
