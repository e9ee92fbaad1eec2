import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { SANDBOX_DEFAULTS } from '@series-killer/shared';
import { waitFor } from '@series-killer/shared/testing';
import { createTwilioClient } from '@series-killer/shared/twilio';
import { type Sandbox, startSandbox } from '../sandbox.ts';
import { startWebhookReceiver, type WebhookReceiver } from '../testing/webhook-receiver.ts';

const accountSid = SANDBOX_DEFAULTS.twilioAccountSid;
const authToken = SANDBOX_DEFAULTS.twilioAuthToken;

let sandbox: Sandbox;
let ingress: WebhookReceiver;

beforeAll(async () => {
  ingress = await startWebhookReceiver(authToken);
  sandbox = await startSandbox({ accountSid, authToken, ingressBaseUrl: ingress.url });
});

afterAll(async () => {
  await sandbox.close();
  await ingress.close();
});

function call(method: string, path: string, body?: unknown): Promise<Response> {
  return fetch(`${sandbox.url}/sandbox${path}`, {
    method,
    headers: { 'Content-Type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
}

describe('control API', () => {
  it('lists its URLs', async () => {
    const response = await call('GET', '/');
    expect(await response.json()).toEqual({
      twilio: sandbox.url,
      openai: `${sandbox.url}/v1`,
      supabase: sandbox.url,
      control: `${sandbox.url}/sandbox`,
      ingress: ingress.url,
    });
  });

  it('sets a per-number callback rule and shows the messages created', async () => {
    const to = '+14155550140';
    expect((await call('PUT', `/callbacks/numbers/${encodeURIComponent(to)}`, { outcome: 'undelivered' })).status).toBe(
      204,
    );
    const client = createTwilioClient({ accountSid, authToken, apiBaseUrl: sandbox.url });
    const message = await client.messages.create({ to, from: SANDBOX_DEFAULTS.twilioFromNumber, body: 'hello' });

    await waitFor('the message to be undelivered', async () => {
      const messages = (await (await call('GET', '/messages')).json()) as { sid: string; status: string }[];
      return messages.find((m) => m.sid === message.sid && m.status === 'undelivered');
    });
  });

  it('drives an inbound SMS and a call', async () => {
    const sms = await call('POST', '/sms/inbound', { from: '+14155550141', to: '+15005550006', body: 'hi' });
    expect(await sms.json()).toMatchObject({ messageSid: expect.stringMatching(/^SM/), status: 204 });
    const voice = await call('POST', '/calls', { from: '+14155550141', to: '+15005550006', outcome: 'no-answer' });
    expect(await voice.json()).toMatchObject({ callSid: expect.stringMatching(/^CA/) });
    expect(ingress.received.every((w) => w.validSignature)).toBe(true);
  });

  it('sets the streams’ pacing and hang switch and reports the streams', async () => {
    const mode = { firstTokenMs: 300, interTokenMs: 20, failWith: 'hang', times: 1 };
    expect((await call('PUT', '/openai/mode', mode)).status).toBe(204);
    expect(await (await call('GET', '/openai/streams')).json()).toEqual({
      active: 0,
      completed: 0,
      aborted: 0,
      tokensAfterAbort: 0,
      aborts: [],
    });
    expect((await call('PUT', '/openai/mode', {})).status).toBe(204);
  });

  it('rejects an invalid switch with the problem named', async () => {
    const response = await call('PUT', '/openai/mode', { failWith: 418 });
    expect(response.status).toBe(400);
    expect(JSON.stringify(await response.json())).toContain('failWith');
  });

  it('holds Twilio requests with the latency switch, and refuses a negative latency', async () => {
    expect((await call('PUT', '/twilio/mode', { latencyMs: -1 })).status).toBe(400);
    expect((await call('PUT', '/twilio/mode', { latencyMs: 200, times: 1 })).status).toBe(204);
    const client = createTwilioClient({ accountSid, authToken, apiBaseUrl: sandbox.url });
    await client.messages.list({ limit: 1 });
    const held = (await (await call('GET', '/twilio/requests')).json()) as { heldMs?: number }[];
    expect(held.at(-1)?.heldMs).toBe(200);
  });

  it('resets its logs', async () => {
    expect((await call('POST', '/reset')).status).toBe(204);
    expect(sandbox.messages()).toEqual([]);
    expect(sandbox.webhooks()).toEqual([]);
  });
});
