import { createHmac } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { VOICE_RELAY_PATH } from '@series-killer/shared';
import { waitFor } from '@series-killer/shared/testing';
import { connectRelay, upgradeSignature } from '../testing/relay-client.ts';
import { PUBLIC_RELAY_URL, startVoiceHarness, type VoiceHarness } from '../testing/voice-harness.ts';
import { upgradeCheck } from './verify-upgrade.ts';

const TOKEN = '12345';
const PUBLIC_URL = 'wss://voice.example.com/voice/relay';

function upgradeRequest(url: string, headers: Record<string, string>): IncomingMessage {
  return {
    url,
    headers: Object.fromEntries(Object.entries(headers).map(([k, v]) => [k.toLowerCase(), v])),
  } as IncomingMessage;
}

describe('upgradeCheck', () => {
  const check = upgradeCheck({
    keys: { authToken: TOKEN, sharedKey: { secret: 'shared-secret', id: 'KS1' } },
    publicUrl: PUBLIC_URL,
    path: VOICE_RELAY_PATH,
  });

  it('accepts the signature Twilio makes of the wss:// URL it called, query included (known answer)', () => {
    // Computed by Twilio's own SDK over the public URL; the request reaches the service through a proxy.
    const url = `${PUBLIC_URL}?tenant=a&b=1`;
    const signature = upgradeSignature(TOKEN, url);
    expect(signature).toBe('AhR3mHRNY5H7haqPNPBLV6uxdKg=');
    expect(check(upgradeRequest('/voice/relay?tenant=a&b=1', { 'X-Twilio-Signature': signature }))).toBeUndefined();
  });

  it('refuses a missing, forged or replayed-elsewhere signature with 403, and other paths with 404', () => {
    const signature = upgradeSignature(TOKEN, PUBLIC_URL);
    expect(check(upgradeRequest('/voice/relay', {}))).toEqual({ status: 403, reason: 'missing X-Twilio-Signature' });
    expect(
      check(upgradeRequest('/voice/relay', { 'X-Twilio-Signature': upgradeSignature('other', PUBLIC_URL) })),
    ).toEqual({ status: 403, reason: 'invalid X-Twilio-Signature' });
    // A signature of the URL without the query does not cover a request with one.
    expect(check(upgradeRequest('/voice/relay?tenant=b', { 'X-Twilio-Signature': signature }))?.status).toBe(403);
    expect(check(upgradeRequest('/elsewhere', { 'X-Twilio-Signature': signature }))?.status).toBe(404);
  });

  it("accepts a Webhook Rule's shared-key signature (HMAC-SHA256) and refuses an unknown key", () => {
    const signature = createHmac('sha256', 'shared-secret').update(PUBLIC_URL).digest('base64');
    const settings = 'algorithm=HMAC_SHA256,key=KS1';
    const headers = { 'X-Twilio-Signature': signature, 'X-Twilio-Webhooks-Signature-Settings': settings };
    expect(check(upgradeRequest('/voice/relay', headers))).toBeUndefined();
    expect(
      check(
        upgradeRequest('/voice/relay', {
          ...headers,
          'X-Twilio-Webhooks-Signature-Settings': 'algorithm=HMAC_SHA256,key=KS2',
        }),
      ),
    ).toEqual({ status: 403, reason: 'webhook signed with an unknown shared key' });
  });
});

describe('the relay WebSocket', () => {
  let h: VoiceHarness;
  beforeAll(async () => {
    h = await startVoiceHarness({}, { limits: { setupTimeoutMs: 200, maxMalformed: 3, maxMessagesPerSecond: 20 } });
  });
  afterAll(async () => {
    await h.close();
  });

  it('refuses a forged upgrade with 403 before any WebSocket opens', async () => {
    await expect(connectRelay(h.voice.url, VOICE_RELAY_PATH, {})).rejects.toThrow('upgrade refused with 403');
    const forged = upgradeSignature('not-the-auth-token', PUBLIC_RELAY_URL);
    await expect(connectRelay(h.voice.url, VOICE_RELAY_PATH, { 'X-Twilio-Signature': forged })).rejects.toThrow(
      'upgrade refused with 403',
    );
  });

  const signed = () => ({ 'X-Twilio-Signature': upgradeSignature(h.stack.config.twilio.authToken, PUBLIC_RELAY_URL) });

  it('closes a connection that never sends setup', async () => {
    const client = await connectRelay(h.voice.url, VOICE_RELAY_PATH, signed());
    expect(await client.closed).toBe(1008);
  });

  it('closes a connection after too many malformed messages, which are refused one by one', async () => {
    const call = await h.call('+14155550111');
    call.send({ type: 'prompt' });
    call.ws.send('not json');
    expect(call.ws.readyState).toBe(call.ws.OPEN);
    call.send({ type: 'dtmf', digit: 'x' });
    expect(await call.closed).toBe(1008);
  });

  it('closes a connection that sends too fast or too much', async () => {
    const fast = await h.call('+14155550112');
    for (let i = 0; i < 25; i += 1) fast.send({ type: 'error', description: 'noise' });
    expect(await fast.closed).toBe(1008);

    const big = await h.call('+14155550113');
    big.send({ type: 'prompt', voicePrompt: 'x'.repeat(70 * 1024), last: true });
    expect(await big.closed).toBe(1009);
  });

  it('counts live calls in its metrics and clears them when the sockets close', async () => {
    const call = await h.call('+14155550114');
    await waitFor('one live call', async () =>
      (await h.voice.metrics.getSingleMetricAsString('voice_live_calls')).endsWith(' 1'),
    );
    call.close();
    await waitFor('no live call', async () =>
      (await h.voice.metrics.getSingleMetricAsString('voice_live_calls')).endsWith(' 0'),
    );
  });
});
