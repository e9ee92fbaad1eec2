import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { SANDBOX_DEFAULTS } from '@series-killer/shared';
import { type Sandbox, startSandbox } from '../../sandbox.ts';
import { startWebhookReceiver, type WebhookReceiver } from '../../testing/webhook-receiver.ts';

const accountSid = SANDBOX_DEFAULTS.twilioAccountSid;
const authToken = SANDBOX_DEFAULTS.twilioAuthToken;
const caller = '+14155550120';
const ourNumber = SANDBOX_DEFAULTS.twilioFromNumber;

let sandbox: Sandbox;
let ingress: WebhookReceiver;

beforeAll(async () => {
  ingress = await startWebhookReceiver(authToken);
  sandbox = await startSandbox({ accountSid, authToken, ingressBaseUrl: ingress.url, webhookRetryBaseMs: 10 });
});

afterAll(async () => {
  await sandbox.close();
  await ingress.close();
});

beforeEach(() => {
  ingress.received.length = 0;
  ingress.respondWith((webhook) => (webhook.path === '/twilio/sms' || webhook.path === '/twilio/voice' ? 200 : 204));
});

describe('inbound SMS driver', () => {
  it('posts a signed inbound SMS with Twilio’s parameter set to /twilio/sms', async () => {
    const result = await sandbox.sendInboundSms({ from: caller, to: ourNumber, body: '123456' });

    expect(result.messageSid).toMatch(/^SM[0-9a-f]{32}$/);
    expect(result.status).toBe(200);
    expect(result.responseBody).toBe('<Response/>');
    const [webhook] = ingress.received;
    expect(webhook?.path).toBe('/twilio/sms');
    expect(webhook?.validSignature).toBe(true);
    expect(webhook?.idempotencyToken).toEqual(expect.any(String));
    expect(webhook?.params).toMatchObject({
      AccountSid: accountSid,
      ApiVersion: '2010-04-01',
      MessageSid: result.messageSid,
      SmsMessageSid: result.messageSid,
      SmsSid: result.messageSid,
      SmsStatus: 'received',
      Body: '123456',
      From: caller,
      To: ourNumber,
      NumMedia: '0',
      NumSegments: '1',
      FromCountry: 'US',
      ToCountry: 'US',
    });
    for (const field of ['FromState', 'FromCity', 'FromZip', 'ToState', 'ToCity', 'ToZip']) {
      expect(webhook?.params).toHaveProperty(field);
    }
  });

  it('reports what the ingress answered, without retrying a 4xx', async () => {
    ingress.respondWith(() => 403);
    const result = await sandbox.sendInboundSms({ from: caller, to: ourNumber, body: 'STOP' });
    expect(result.status).toBe(403);
    expect(result.attempts).toBe(1);
  });
});

describe('call driver', () => {
  const transcript = [
    { track: 'inbound_track' as const, text: 'Hi, I would like to move my appointment to Friday.' },
    { track: 'outbound_track' as const, text: 'Sure, Friday at ten works.' },
  ];

  it('plays a completed call: voice request, status lifecycle and transcription, all signed', async () => {
    const result = await sandbox.simulateCall({ from: caller, to: ourNumber, transcript, durationSeconds: 42 });

    expect(result.callSid).toMatch(/^CA[0-9a-f]{32}$/);
    expect(result.transcriptionSid).toMatch(/^GT[0-9a-f]{32}$/);
    expect(ingress.received.every((w) => w.validSignature)).toBe(true);
    expect(ingress.received.every((w) => w.params.CallSid === result.callSid)).toBe(true);
    expect(ingress.received.map((w) => [w.path, w.params.CallStatus ?? w.params.TranscriptionEvent])).toEqual([
      ['/twilio/voice', 'ringing'],
      ['/twilio/voice/status', 'initiated'],
      ['/twilio/voice/status', 'ringing'],
      ['/twilio/voice/status', 'in-progress'],
      ['/twilio/voice/transcription', 'transcription-started'],
      ['/twilio/voice/transcription', 'transcription-content'],
      ['/twilio/voice/transcription', 'transcription-content'],
      ['/twilio/voice/transcription', 'transcription-stopped'],
      ['/twilio/voice/status', 'completed'],
    ]);

    const voice = ingress.received[0];
    expect(voice?.params).toMatchObject({
      AccountSid: accountSid,
      ApiVersion: '2010-04-01',
      Direction: 'inbound',
      From: caller,
      To: ourNumber,
      Caller: caller,
      Called: ourNumber,
    });

    const statuses = ingress.received.filter((w) => w.path === '/twilio/voice/status');
    expect(statuses.map((s) => s.params.SequenceNumber)).toEqual(['0', '1', '2', '3']);
    for (const status of statuses) {
      expect(status.params).toMatchObject({ CallbackSource: 'call-progress-events', Direction: 'inbound' });
      expect(Number.isNaN(Date.parse(status.params.Timestamp ?? ''))).toBe(false);
    }
    expect(statuses.at(-1)?.params.CallDuration).toBe('42');

    const events = ingress.received.filter((w) => w.path === '/twilio/voice/transcription');
    expect(events.map((e) => e.params.SequenceId)).toEqual(['1', '2', '3', '4']);
    expect(new Set(events.map((e) => e.params.TranscriptionSid))).toEqual(new Set([result.transcriptionSid]));
    const contents = events.filter((e) => e.params.TranscriptionEvent === 'transcription-content');
    expect(contents.map((c) => c.params.Track)).toEqual(['inbound_track', 'outbound_track']);
    expect(contents.every((c) => c.params.Final === 'true')).toBe(true);
    const data = JSON.parse(contents[0]?.params.TranscriptionData ?? '{}') as {
      transcript: string;
      confidence: number;
    };
    expect(data.transcript).toBe(transcript[0]?.text);
    expect(data.confidence).toBeGreaterThan(0);
    expect(data.confidence).toBeLessThanOrEqual(1);
  });

  it('ends a call that never connects with busy, without transcription', async () => {
    const result = await sandbox.simulateCall({ from: caller, to: ourNumber, outcome: 'busy', transcript });
    expect(result.transcriptionSid).toBeNull();
    const statuses = ingress.received.filter((w) => w.path === '/twilio/voice/status').map((w) => w.params.CallStatus);
    expect(statuses).toEqual(['initiated', 'ringing', 'busy']);
    expect(ingress.received.some((w) => w.path === '/twilio/voice/transcription')).toBe(false);
  });

  it('shuffles the events after the voice request', async () => {
    await sandbox.simulateCall({ from: caller, to: ourNumber, transcript, shuffle: true });
    const natural = [
      'initiated',
      'ringing',
      'in-progress',
      'transcription-started',
      'transcription-content',
      'transcription-content',
      'transcription-stopped',
      'completed',
    ];
    const order = ingress.received.slice(1).map((w) => w.params.CallStatus ?? w.params.TranscriptionEvent);
    expect(ingress.received[0]?.path).toBe('/twilio/voice');
    expect(order).not.toEqual(natural);
    expect([...order].sort()).toEqual([...natural].sort());
  });

  it('sends every event twice with the same idempotency token when duplicating', async () => {
    await sandbox.simulateCall({ from: caller, to: ourNumber, transcript: [], duplicate: true });
    const events = ingress.received.slice(1);
    expect(events).toHaveLength(12);
    for (let i = 0; i < events.length; i += 2) {
      expect(events[i]?.params).toEqual(events[i + 1]?.params);
      expect(events[i]?.idempotencyToken).toBe(events[i + 1]?.idempotencyToken);
    }
  });
});
