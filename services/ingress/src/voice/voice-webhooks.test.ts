import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { WITHHELD_CALLER_IDS } from '@series-killer/shared';
import { fakeSid } from '@series-killer/shared/testing';
import { type IngressHarness, startIngressHarness } from '../testing/ingress-harness.ts';
import { incomingCallTwiml } from './incoming-call-twiml.ts';
import { relayVoiceFor } from './relay-voice.ts';

const ACCOUNT_SID = `AC${'0'.repeat(32)}`;
const KNOWN_CALLER = '+19713364433';

/** The parameters Twilio posts when a call reaches the number's voice URL. */
function incomingCall(callSid: string, from: string): Record<string, string> {
  return {
    Called: '+15005550006',
    ToState: 'OR',
    CallerCountry: 'US',
    Direction: 'inbound',
    CallerState: 'OR',
    ToZip: '97201',
    CallSid: callSid,
    To: '+15005550006',
    CallerZip: '97201',
    ToCountry: 'US',
    CallToken: 'opaque-token',
    CalledZip: '97201',
    ApiVersion: '2010-04-01',
    CalledCity: 'PORTLAND',
    CallStatus: 'ringing',
    From: from,
    AccountSid: ACCOUNT_SID,
    CalledCountry: 'US',
    CallerCity: 'PORTLAND',
    ToCity: 'PORTLAND',
    FromCountry: 'US',
    Caller: from,
    FromCity: 'PORTLAND',
    CalledState: 'OR',
    FromZip: '97201',
    FromState: 'OR',
  };
}

/** A call status callback as Twilio sends it with StatusCallbackEvent set. */
function callStatus(callSid: string, status: string, sequence: number, duration?: number): Record<string, string> {
  return {
    Called: '+15005550006',
    Direction: 'inbound',
    Timestamp: 'Tue, 14 Jan 2025 17:03:25 +0000',
    CallbackSource: 'call-progress-events',
    CallSid: callSid,
    To: '+15005550006',
    From: KNOWN_CALLER,
    Caller: KNOWN_CALLER,
    CallStatus: status,
    SequenceNumber: String(sequence),
    AccountSid: ACCOUNT_SID,
    ApiVersion: '2010-04-01',
    ...(duration === undefined ? {} : { CallDuration: String(duration), Duration: '1' }),
  };
}

/** A real-time transcription callback (`<Start><Transcription>`). */
function transcriptionEvent(
  callSid: string,
  transcriptionSid: string,
  event: string,
  sequenceId: number,
  content?: { track: string; transcript: string; confidence: number },
): Record<string, string> {
  return {
    AccountSid: ACCOUNT_SID,
    CallSid: callSid,
    TranscriptionSid: transcriptionSid,
    Timestamp: '2025-01-14T17:03:30.000Z',
    TranscriptionEvent: event,
    SequenceId: String(sequenceId),
    ...(event === 'transcription-started'
      ? { ProviderName: 'Google', Track: 'both_tracks', PartialResults: 'false', LanguageCode: 'en-US' }
      : {}),
    ...(content
      ? {
          LanguageCode: 'en-US',
          Track: content.track,
          TranscriptionData: JSON.stringify({ transcript: content.transcript, confidence: content.confidence }),
          Final: 'true',
          Stability: '0.9',
        }
      : {}),
  };
}

function attribute(xml: string, element: string, name: string): string | undefined {
  const tag = new RegExp(`<${element}\\b[^>]*>`).exec(xml)?.[0];
  return tag ? new RegExp(`\\b${name}="([^"]*)"`).exec(tag)?.[1] : undefined;
}

/** The element names of a TwiML document in order, closing tags included (`/Start`). */
function elementSequence(xml: string): string[] {
  return [...xml.matchAll(/<(\/?)([A-Za-z]+)\b[^>]*?(\/?)>/g)].flatMap(([, closing, name, selfClosing]) =>
    selfClosing ? [`${name}`, `/${name}`] : [`${closing}${name}`],
  );
}

/** The user KNOWN_CALLER's number is linked to, with a first name and a preferred voice. */
async function insertKnownCaller(h: IngressHarness, firstName: string, voicePreference: string): Promise<void> {
  const userId = crypto.randomUUID();
  const { db } = h.testDb;
  await db
    .insertInto('auth.users')
    .values({ id: userId, phone: KNOWN_CALLER.slice(1) })
    .execute();
  await db.insertInto('user_profiles').values({ user_id: userId, first_name: firstName, last_name: 'Doe' }).execute();
  await db.insertInto('phone_links').values({ user_id: userId, phone_number: KNOWN_CALLER }).execute();
  await db.insertInto('preferences').values({ user_id: userId, voice_preference: voicePreference }).execute();
}

describe('voice webhooks with the voice bot off', () => {
  let h: IngressHarness;
  beforeAll(async () => {
    h = await startIngressHarness({ VOICE_BOT: 'off' });
    await insertKnownCaller(h, 'Zoë <&> "Q"', 'Polly.Joanna');
  });
  afterAll(async () => {
    await h.close();
  });

  it('greets a known caller by first name in their voice, transcribes both tracks and records', async () => {
    const callSid = fakeSid('CA');
    const response = await h.postSigned('/twilio/voice', incomingCall(callSid, KNOWN_CALLER));
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^text\/xml/);
    const xml = await response.text();

    expect(xml.startsWith('<?xml version="1.0" encoding="UTF-8"?><Response>')).toBe(true);
    expect(elementSequence(xml)).toEqual([
      'Response',
      'Start',
      'Transcription',
      '/Transcription',
      '/Start',
      'Say',
      '/Say',
      'Say',
      '/Say',
      'Record',
      '/Record',
      'Say',
      '/Say',
      '/Response',
    ]);
    // With the connection overrides that make Twilio retry a 5xx, XML-escaped in the TwiML.
    expect(attribute(xml, 'Transcription', 'statusCallbackUrl')).toBe(
      `${h.config.http.publicBaseUrl}/twilio/voice/transcription#rc=3&amp;rp=all`,
    );
    expect(attribute(xml, 'Transcription', 'track')).toBe('both_tracks');
    expect(attribute(xml, 'Transcription', 'partialResults')).toBe('false');
    expect(attribute(xml, 'Say', 'voice')).toBe('Polly.Joanna');
    expect(xml).toContain(
      '<Say voice="Polly.Joanna">Hi Zoë &lt;&amp;&gt; "Q", thanks for calling Series Killer.</Say>',
    );
    expect(attribute(xml, 'Record', 'action')).toBe(`${h.config.http.publicBaseUrl}/twilio/voice/recorded`);

    const job = await h.queues.calls.getJob(`call-started.${callSid}`);
    expect(job?.name).toBe('call-started');
    expect(job?.data).toEqual({
      callSid,
      from: KNOWN_CALLER,
      to: '+15005550006',
      direction: 'inbound',
      callStatus: 'ringing',
      receivedAt: expect.any(String),
    });
  });

  it('greets an unknown caller generically in the default voice', async () => {
    const response = await h.postSigned('/twilio/voice', incomingCall(fakeSid('CA'), '+14155550199'));
    const xml = await response.text();
    expect(response.status).toBe(200);
    expect(xml).toContain('<Say>Hi, thanks for calling Series Killer.</Say>');
    expect(attribute(xml, 'Say', 'voice')).toBeUndefined();
    expect(xml).toContain('<Record ');
  });

  it('greets every withheld caller ID generically, even one a user row carries by mistake', async () => {
    const userId = crypto.randomUUID();
    await h.testDb.db.insertInto('auth.users').values({ id: userId, phone: '86282452253' }).execute();
    await h.testDb.db
      .insertInto('user_profiles')
      .values({ user_id: userId, first_name: 'Unavailable', last_name: 'Caller' })
      .execute();
    await h.testDb.db.insertInto('phone_links').values({ user_id: userId, phone_number: '+86282452253' }).execute();

    for (const from of WITHHELD_CALLER_IDS) {
      const response = await h.postSigned('/twilio/voice', incomingCall(fakeSid('CA'), from));
      expect(response.status).toBe(200);
      expect(await response.text()).toContain('<Say>Hi, thanks for calling Series Killer.</Say>');
    }
  });

  it('answers the recording action with a goodbye and hangs up', async () => {
    const response = await h.postSigned('/twilio/voice/recorded', {
      ...incomingCall(fakeSid('CA'), KNOWN_CALLER),
      RecordingSid: fakeSid('RE'),
      RecordingDuration: '7',
    });
    expect(response.status).toBe(200);
    expect(elementSequence(await response.text())).toEqual([
      'Response',
      'Say',
      '/Say',
      'Hangup',
      '/Hangup',
      '/Response',
    ]);
  });

  it('turns call status callbacks into call-status jobs keyed by CallSid, status and sequence', async () => {
    const callSid = fakeSid('CA');
    const statuses = [
      callStatus(callSid, 'ringing', 0),
      callStatus(callSid, 'in-progress', 1),
      callStatus(callSid, 'completed', 2, 42),
    ];
    for (const params of statuses) expect((await h.postSigned('/twilio/voice/status', params)).status).toBe(204);
    // Twilio retrying the final callback.
    expect((await h.postSigned('/twilio/voice/status', callStatus(callSid, 'completed', 2, 42))).status).toBe(204);

    const completed = await h.queues.calls.getJob(`call-status.${callSid}.completed.2`);
    expect(completed?.name).toBe('call-status');
    expect(completed?.data).toEqual({
      callSid,
      callStatus: 'completed',
      from: KNOWN_CALLER,
      to: '+15005550006',
      direction: 'inbound',
      callDuration: 42,
      sequenceNumber: 2,
      receivedAt: expect.any(String),
    });
    const jobs = await h.queues.calls.getJobs(['waiting']);
    expect(jobs.filter((job) => job.name === 'call-status' && job.data.callSid === callSid)).toHaveLength(3);
  });

  it('turns real-time transcription events into transcription-event jobs keyed by TranscriptionSid and SequenceId', async () => {
    const callSid = fakeSid('CA');
    const transcriptionSid = fakeSid('GT');
    const events = [
      transcriptionEvent(callSid, transcriptionSid, 'transcription-started', 1),
      transcriptionEvent(callSid, transcriptionSid, 'transcription-content', 2, {
        track: 'inbound_track',
        transcript: 'I would like to talk about my order.',
        confidence: 0.9,
      }),
      transcriptionEvent(callSid, transcriptionSid, 'transcription-stopped', 3),
    ];
    for (const params of events) expect((await h.postSigned('/twilio/voice/transcription', params)).status).toBe(204);

    const started = await h.queues.calls.getJob(`transcription.${transcriptionSid}.1`);
    expect(started?.data).toMatchObject({ event: 'transcription-started', track: null, text: null, final: false });
    const content = await h.queues.calls.getJob(`transcription.${transcriptionSid}.2`);
    expect(content?.name).toBe('transcription-event');
    expect(content?.data).toEqual({
      callSid,
      transcriptionSid,
      event: 'transcription-content',
      sequenceId: 2,
      track: 'inbound_track',
      text: 'I would like to talk about my order.',
      confidence: 0.9,
      final: true,
      receivedAt: expect.any(String),
    });
    expect((await h.queues.calls.getJob(`transcription.${transcriptionSid}.3`))?.data.event).toBe(
      'transcription-stopped',
    );
  });

  it('turns a legacy TranscriptionText callback into a legacy-transcription job', async () => {
    const callSid = fakeSid('CA');
    const transcriptionSid = fakeSid('TR');
    const response = await h.postSigned('/twilio/voice/transcription', {
      AccountSid: ACCOUNT_SID,
      CallSid: callSid,
      TranscriptionSid: transcriptionSid,
      TranscriptionText: 'Hello, please call me back.',
      TranscriptionStatus: 'completed',
      TranscriptionUrl: `https://api.twilio.com/2010-04-01/Accounts/${ACCOUNT_SID}/Transcriptions/${transcriptionSid}`,
      RecordingSid: fakeSid('RE'),
      RecordingUrl: `https://api.twilio.com/2010-04-01/Accounts/${ACCOUNT_SID}/Recordings/RE1`,
      From: KNOWN_CALLER,
      To: '+15005550006',
      CallStatus: 'completed',
      ApiVersion: '2010-04-01',
    });
    expect(response.status).toBe(204);
    const job = await h.queues.calls.getJob(`legacy-transcription.${transcriptionSid}`);
    expect(job?.name).toBe('legacy-transcription');
    expect(job?.data).toMatchObject({ callSid, transcriptionSid, transcriptionText: 'Hello, please call me back.' });
  });

  it('answers 400 naming the field of a malformed transcription event', async () => {
    const callSid = fakeSid('CA');
    const params = transcriptionEvent(callSid, fakeSid('GT'), 'transcription-content', 4, {
      track: 'inbound_track',
      transcript: 'x',
      confidence: 0.5,
    });
    const badData = await h.postSigned('/twilio/voice/transcription', { ...params, TranscriptionData: '{not json' });
    expect(badData.status).toBe(400);
    expect(((await badData.json()) as { errors: object }).errors).toHaveProperty('TranscriptionData');

    const badStatus = await h.postSigned('/twilio/voice/status', callStatus(callSid, 'exploded', 0));
    expect(badStatus.status).toBe(400);
    expect(((await badStatus.json()) as { errors: object }).errors).toHaveProperty('CallStatus');
  });
});

describe('incoming call with a voice bot configured', () => {
  let h: IngressHarness;
  beforeAll(async () => {
    h = await startIngressHarness({ VOICE_BOT_WS_URL: 'wss://bot.example.com/relay?tenant=a&b=1' });
  });
  afterAll(async () => {
    await h.close();
  });

  it('connects the caller to ConversationRelay after the greeting', async () => {
    const response = await h.postSigned('/twilio/voice', incomingCall(fakeSid('CA'), '+14155550199'));
    const xml = await response.text();
    expect(elementSequence(xml)).toEqual([
      'Response',
      'Start',
      'Transcription',
      '/Transcription',
      '/Start',
      'Say',
      '/Say',
      'Connect',
      'ConversationRelay',
      '/ConversationRelay',
      '/Connect',
      '/Response',
    ]);
    expect(attribute(xml, 'ConversationRelay', 'url')).toBe('wss://bot.example.com/relay?tenant=a&amp;b=1');
  });
});

describe('incoming call with our voice bot on', () => {
  let h: IngressHarness;
  const transferNumber = '+15005550010';
  beforeAll(async () => {
    h = await startIngressHarness({
      VOICE_BOT_PUBLIC_URL: 'wss://voice.series-killer.example/voice/relay',
      VOICE_BOT_TRANSFER_NUMBER: transferNumber,
    });
    await insertKnownCaller(h, 'Ada', 'Polly.Amy');
  });
  afterAll(async () => {
    await h.close();
  });

  it('connects a known caller to the bot, greeted by name in their voice, without a second transcription', async () => {
    const callSid = fakeSid('CA');
    const response = await h.postSigned('/twilio/voice', incomingCall(callSid, KNOWN_CALLER));
    expect(response.status).toBe(200);
    const xml = await response.text();
    expect(elementSequence(xml)).toEqual([
      'Response',
      'Connect',
      'ConversationRelay',
      'Parameter',
      '/Parameter',
      '/ConversationRelay',
      '/Connect',
      '/Response',
    ]);
    expect(attribute(xml, 'Connect', 'action')).toBe(`${h.config.http.publicBaseUrl}/twilio/voice/relay-ended`);
    expect(attribute(xml, 'ConversationRelay', 'url')).toBe('wss://voice.series-killer.example/voice/relay');
    expect(attribute(xml, 'ConversationRelay', 'welcomeGreeting')).toBe('Hi Ada, thanks for calling Series Killer.');
    expect(attribute(xml, 'ConversationRelay', 'ttsProvider')).toBe('Amazon');
    expect(attribute(xml, 'ConversationRelay', 'voice')).toBe('Amy-Neural');
    expect(attribute(xml, 'ConversationRelay', 'language')).toBe('en-GB');
    expect(attribute(xml, 'ConversationRelay', 'interruptible')).toBe('any');
    expect(attribute(xml, 'ConversationRelay', 'dtmfDetection')).toBe('true');
    expect(attribute(xml, 'ConversationRelay', 'applicationReconnect')).toBe('true');
    expect((await h.queues.calls.getJob(`call-started.${callSid}`))?.name).toBe('call-started');
  });

  it('greets an unknown caller generically in the default voice', async () => {
    const xml = await (await h.postSigned('/twilio/voice', incomingCall(fakeSid('CA'), '+14155550199'))).text();
    expect(attribute(xml, 'ConversationRelay', 'welcomeGreeting')).toBe('Hi, thanks for calling Series Killer.');
    expect(attribute(xml, 'ConversationRelay', 'ttsProvider')).toBeUndefined();
    expect(attribute(xml, 'ConversationRelay', 'voice')).toBeUndefined();
    expect(attribute(xml, 'ConversationRelay', 'language')).toBe('en-US');
  });

  /** The `<Connect action>` callback Twilio posts when the session ends. */
  function relayEnded(callSid: string, status: string, handoffData?: string): Record<string, string> {
    return {
      AccountSid: ACCOUNT_SID,
      CallSid: callSid,
      CallStatus: 'in-progress',
      From: KNOWN_CALLER,
      To: '+15005550006',
      Direction: 'inbound',
      ApiVersion: '2010-04-01',
      SessionId: 'VX0123456789abcdef0123456789abcdef',
      SessionStatus: status,
      SessionDuration: '42',
      ...(handoffData === undefined ? {} : { HandoffData: handoffData }),
    };
  }

  it('dials a person for a transfer hand-off and records the session end with its turns', async () => {
    const callSid = fakeSid('CA');
    const response = await h.postSigned(
      '/twilio/voice/relay-ended',
      relayEnded(callSid, 'completed', '{"reason":"transfer","turns":3}'),
    );
    expect(response.status).toBe(200);
    const xml = await response.text();
    expect(xml).toContain(`<Dial>${transferNumber}</Dial>`);
    const job = await h.queues.calls.getJob(`relay-ended.${callSid}.VX0123456789abcdef0123456789abcdef`);
    expect(job?.data).toEqual({
      callSid,
      sessionId: 'VX0123456789abcdef0123456789abcdef',
      sessionStatus: 'completed',
      turns: 3,
      receivedAt: expect.any(String),
    });
  });

  it('apologises for a failed session and hangs up after a goodbye', async () => {
    const failed = await h.postSigned('/twilio/voice/relay-ended', relayEnded(fakeSid('CA'), 'failed'));
    expect(elementSequence(await failed.text())).toEqual(['Response', 'Say', '/Say', 'Hangup', '/Hangup', '/Response']);

    const callSid = fakeSid('CA');
    const done = await h.postSigned(
      '/twilio/voice/relay-ended',
      relayEnded(callSid, 'completed', '{"reason":"goodbye","turns":2}'),
    );
    expect(elementSequence(await done.text())).toEqual(['Response', 'Hangup', '/Hangup', '/Response']);
    // A hand-off that is not ours still ends the call, and the transcript waits for its grace period.
    const foreign = await h.postSigned('/twilio/voice/relay-ended', relayEnded(fakeSid('CA'), 'ended', 'not json'));
    expect(elementSequence(await foreign.text())).toEqual(['Response', 'Hangup', '/Hangup', '/Response']);
  });

  it('refuses an unsigned session end with 403 and a malformed one with 400', async () => {
    const unsigned = await fetch(`${h.ingress.url}/twilio/voice/relay-ended`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams(relayEnded(fakeSid('CA'), 'completed')).toString(),
    });
    expect(unsigned.status).toBe(403);
    const { SessionStatus: _status, ...withoutStatus } = relayEnded(fakeSid('CA'), 'completed');
    const malformed = await h.postSigned('/twilio/voice/relay-ended', withoutStatus);
    expect(malformed.status).toBe(400);
  });
});

describe('relayVoiceFor', () => {
  it.each([
    ['Polly.Joanna', { ttsProvider: 'Amazon', voice: 'Joanna-Neural', language: 'en-US' }],
    ['Polly.Matthew-Generative', { ttsProvider: 'Amazon', voice: 'Matthew-Generative', language: 'en-US' }],
    ['Google.en-GB-Standard-A', { ttsProvider: 'Google', voice: 'en-GB-Standard-A', language: 'en-GB' }],
    [
      'ElevenLabs.UgBBYS2sOqTuMpoF3BR0',
      { ttsProvider: 'ElevenLabs', voice: 'UgBBYS2sOqTuMpoF3BR0', language: 'en-US' },
    ],
    ['alice', { language: 'en-US' }],
    ['Polly.Hans', { language: 'en-US' }],
    ['"><Hangup/>', { language: 'en-US' }],
    [null, { language: 'en-US' }],
  ])('maps %p to %p', (preference, expected) => {
    expect(relayVoiceFor(preference)).toEqual(expected);
  });
});

describe('incomingCallTwiml', () => {
  it('gives the transcription callback URL the connection overrides, so Twilio retries a 5xx', () => {
    const xml = incomingCallTwiml({ publicBaseUrl: 'https://sk.example', callbackOverrides: 'rc=3&rp=all' });
    expect(attribute(xml, 'Transcription', 'statusCallbackUrl')).toBe(
      'https://sk.example/twilio/voice/transcription#rc=3&amp;rp=all',
    );
  });
});
