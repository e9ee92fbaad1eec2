import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { SANDBOX_DEFAULTS, twilioSignature } from '@series-killer/shared';
import { waitFor } from '@series-killer/shared/testing';
import { createTwilioClient } from '@series-killer/shared/twilio';
import twilio from 'twilio';
import { type WebSocket, WebSocketServer } from 'ws';
import { type Sandbox, startSandbox } from '../../sandbox.ts';
import { startWebhookReceiver, type WebhookReceiver } from '../../testing/webhook-receiver.ts';

const accountSid = SANDBOX_DEFAULTS.twilioAccountSid;
const authToken = SANDBOX_DEFAULTS.twilioAuthToken;
const caller = '+14155550123';
const ourNumber = SANDBOX_DEFAULTS.twilioFromNumber;

/** What the bot peer saw of one session. */
interface BotView {
  setup: Record<string, unknown> | undefined;
  received: Record<string, unknown>[];
  /** Tokens sent after an interrupt arrived, before the next prompt. */
  tokensAfterInterrupt: number;
}

/**
 * A small ConversationRelay application: refuses an upgrade whose signature is wrong, answers
 * each prompt token by token (every 5 ms, cancelled by an interrupt), and ends the call on a
 * goodbye, or hands it to a person when asked to or on key 0.
 */
async function startBot(
  token: string,
): Promise<{ url: string; sessions: BotView[]; upgrades: IncomingHttpHeaders[]; close(): Promise<void> }> {
  const sessions: BotView[] = [];
  const upgrades: IncomingHttpHeaders[] = [];
  const server: Server = createServer();
  const wss = new WebSocketServer({ noServer: true });
  let url = '';
  server.on('upgrade', (req, socket, head) => {
    upgrades.push(req.headers);
    const signature = String(req.headers['x-twilio-signature'] ?? '');
    if (!twilio.validateRequest(token, signature, url, {})) {
      socket.end('HTTP/1.1 403 Forbidden\r\nConnection: close\r\n\r\n');
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => converse(ws));
  });
  function converse(ws: WebSocket): void {
    const view: BotView = { setup: undefined, received: [], tokensAfterInterrupt: 0 };
    sessions.push(view);
    let speaking: NodeJS.Timeout | undefined;
    let interrupted = false;
    const send = (message: object) => ws.send(JSON.stringify(message));
    const say = (text: string, then?: () => void) => {
      const words = text.split(' ');
      speaking = setInterval(() => {
        const word = words.shift();
        if (interrupted) view.tokensAfterInterrupt += 1;
        send({ type: 'text', token: `${word} `, last: words.length === 0 });
        if (words.length > 0) return;
        clearInterval(speaking);
        then?.();
      }, 5);
    };
    ws.on('message', (data) => {
      const message = JSON.parse(data.toString()) as Record<string, string>;
      view.received.push(message);
      if (message.type === 'setup') view.setup = message;
      if (message.type === 'interrupt') {
        clearInterval(speaking);
        interrupted = true;
      }
      if (message.type === 'dtmf' && message.digit === '0')
        send({ type: 'end', handoffData: JSON.stringify({ reason: 'transfer' }) });
      if (message.type !== 'prompt') return;
      interrupted = false;
      const prompt = message.voicePrompt ?? '';
      if (/bye/i.test(prompt))
        say('Thanks for calling, goodbye!', () => send({ type: 'end', handoffData: '{"reason":"goodbye"}' }));
      else say(`You said ${prompt} Tell me more about it, I am listening carefully.`);
    });
    ws.on('close', () => clearInterval(speaking));
  }
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `ws://127.0.0.1:${(server.address() as AddressInfo).port}/voice/relay?tenant=a&b=1`;
  return {
    url,
    sessions,
    upgrades,
    close: async () => {
      for (const client of wss.clients) client.terminate();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

function connectTwiml(url: string, action: string, greeting = 'Hi Ada, thanks for calling Series Killer.'): string {
  const escaped = url.replaceAll('&', '&amp;');
  return (
    `<?xml version="1.0" encoding="UTF-8"?><Response><Connect action="${action}">` +
    `<ConversationRelay url="${escaped}" welcomeGreeting="${greeting}" dtmfDetection="true">` +
    '<Parameter name="userId" value="u-1"/><Parameter name="firstName" value="Ada &amp; co"/>' +
    '</ConversationRelay></Connect></Response>'
  );
}

const DIAL = '<?xml version="1.0" encoding="UTF-8"?><Response><Dial>+15005550100</Dial></Response>';

let sandbox: Sandbox;
let ingress: WebhookReceiver;
let bot: Awaited<ReturnType<typeof startBot>>;

beforeAll(async () => {
  ingress = await startWebhookReceiver(authToken);
  sandbox = await startSandbox({ accountSid, authToken, ingressBaseUrl: ingress.url, webhookRetryBaseMs: 10 });
  bot = await startBot(authToken);
});

afterAll(async () => {
  await sandbox.close();
  await ingress.close();
  await bot.close();
});

beforeEach(() => {
  ingress.received.length = 0;
  bot.sessions.length = 0;
  ingress.respondWith((webhook) => {
    if (webhook.path === '/twilio/voice') return { twiml: connectTwiml(bot.url, '/twilio/voice/relay-ended') };
    if (webhook.path === '/twilio/voice/relay-ended') return { twiml: DIAL };
    return 204;
  });
});

afterEach(() => {
  expect(ingress.received.every((w) => w.validSignature)).toBe(true);
});

describe('ConversationRelay call driver', () => {
  it('plays a whole conversation: webhook, signed upgrade, setup, prompts, end, action callback, statuses', async () => {
    const result = await sandbox.conversationRelayCall({
      from: caller,
      to: ourNumber,
      lines: ['I would like to move my appointment', 'Thanks, bye'],
    });

    expect(result.dialogue).toEqual([
      { speaker: 'bot', text: 'Hi Ada, thanks for calling Series Killer.' },
      { speaker: 'caller', text: 'I would like to move my appointment' },
      {
        speaker: 'bot',
        text: 'You said I would like to move my appointment Tell me more about it, I am listening carefully.',
      },
      { speaker: 'caller', text: 'Thanks, bye' },
      { speaker: 'bot', text: 'Thanks for calling, goodbye!' },
    ]);
    expect(result).toMatchObject({
      callSid: expect.stringMatching(/^CA[0-9a-f]{32}$/),
      sessionId: expect.stringMatching(/^VX[0-9a-f]{32}$/),
      endedBy: 'bot',
      handoffData: '{"reason":"goodbye"}',
      actionTwiml: DIAL,
      error: null,
    });

    const [session] = bot.sessions;
    expect(session?.setup).toEqual({
      type: 'setup',
      sessionId: result.sessionId,
      accountSid,
      parentCallSid: '',
      callSid: result.callSid,
      from: caller,
      to: ourNumber,
      forwardedFrom: ourNumber,
      callerName: '',
      direction: 'inbound',
      callType: 'PSTN',
      callStatus: 'RINGING',
      customParameters: { userId: 'u-1', firstName: 'Ada & co' },
    });
    expect(session?.received.filter((m) => m.type === 'prompt')).toEqual([
      { type: 'prompt', voicePrompt: 'I would like to move my appointment', lang: 'en-US', last: true },
      { type: 'prompt', voicePrompt: 'Thanks, bye', lang: 'en-US', last: true },
    ]);

    expect(ingress.received.map((w) => [w.path, w.params.CallStatus])).toEqual([
      ['/twilio/voice', 'ringing'],
      ['/twilio/voice/status', 'initiated'],
      ['/twilio/voice/status', 'ringing'],
      ['/twilio/voice/status', 'in-progress'],
      ['/twilio/voice/relay-ended', 'in-progress'],
      ['/twilio/voice/status', 'completed'],
    ]);
    const action = ingress.received[4]?.params;
    expect(action).toMatchObject({
      CallSid: result.callSid,
      From: caller,
      To: ourNumber,
      SessionId: result.sessionId,
      SessionStatus: 'completed',
      HandoffData: '{"reason":"goodbye"}',
    });
    expect(Number(action?.SessionDuration)).toBeGreaterThanOrEqual(0);
    expect(Number(ingress.received[5]?.params.CallDuration)).toBeGreaterThanOrEqual(1);
  });

  it('barges in after n tokens: interrupt with what was heard, then the prompt; the bot stops at once', async () => {
    const result = await sandbox.conversationRelayCall({
      from: caller,
      to: ourNumber,
      lines: ['Tell me everything', { say: 'Stop, bye', interruptAfterTokens: 3, speakingMs: 30 }],
    });

    expect(result.dialogue.slice(1)).toEqual([
      { speaker: 'caller', text: 'Tell me everything' },
      { speaker: 'bot', text: 'You said Tell', interrupted: true },
      { speaker: 'caller', text: 'Stop, bye' },
      { speaker: 'bot', text: 'Thanks for calling, goodbye!' },
    ]);
    const received = bot.sessions[0]?.received ?? [];
    const interrupt = received.find((m) => m.type === 'interrupt');
    expect(interrupt).toEqual({
      type: 'interrupt',
      utteranceUntilInterrupt: 'You said Tell',
      durationUntilInterruptMs: expect.any(Number),
    });
    expect(received.indexOf(interrupt ?? {})).toBe(received.findIndex((m) => m.voicePrompt === 'Stop, bye') - 1);
    expect(bot.sessions[0]?.tokensAfterInterrupt).toBe(0);
    expect(result.tokensAfterInterrupt).toBe(0);
    expect(result.endedBy).toBe('bot');
  });

  it('sends keys as dtmf messages; the bot hands the call to a person and the action answers <Dial>', async () => {
    const result = await sandbox.conversationRelayCall({ from: caller, to: ourNumber, lines: [{ digits: '10' }] });

    expect(bot.sessions[0]?.received.filter((m) => m.type === 'dtmf')).toEqual([
      { type: 'dtmf', digit: '1' },
      { type: 'dtmf', digit: '0' },
    ]);
    expect(result.dialogue.at(-1)).toEqual({ speaker: 'caller', text: '', digits: '10' });
    expect(result).toMatchObject({ endedBy: 'bot', handoffData: '{"reason":"transfer"}', actionTwiml: DIAL });
  });

  it('hangs up when the bot never ends the call: no action callback, the call completed', async () => {
    const result = await sandbox.conversationRelayCall({
      from: caller,
      to: ourNumber,
      lines: ['Hello'],
      hangUpAfterMs: 20,
    });

    expect(result.endedBy).toBe('caller');
    expect(result.actionTwiml).toBeNull();
    expect(result.dialogue.at(-1)?.text).toMatch(/^You said Hello/);
    expect(ingress.received.map((w) => w.path)).not.toContain('/twilio/voice/relay-ended');
    expect(ingress.received.at(-1)?.params.CallStatus).toBe('completed');
  });

  it('reports a refused upgrade to the action URL as a failed session', async () => {
    const strict = await startBot('another-auth-token');
    ingress.respondWith((webhook) =>
      webhook.path === '/twilio/voice' ? { twiml: connectTwiml(strict.url, '/twilio/voice/relay-ended') } : 204,
    );
    try {
      const result = await sandbox.conversationRelayCall({ from: caller, to: ourNumber, lines: ['Hello'] });
      expect(result.endedBy).toBe('socket');
      expect(result.error).toMatch(/403/);
      expect(result.dialogue).toEqual([]);
      expect(strict.sessions).toEqual([]);
      const action = ingress.received.find((w) => w.path === '/twilio/voice/relay-ended');
      expect(action?.params).toMatchObject({ SessionStatus: 'failed', ErrorCode: '64102' });
    } finally {
      await strict.close();
    }
  });

  it('signs the upgrade with a Webhook Rule’s shared key when the signing mode says so', async () => {
    const sharedKey = { id: 'KS1', secret: 'shared-secret', algorithm: 'HMAC_SHA256' as const };
    sandbox.setWebhookSigningMode({ sharedKey });
    bot.upgrades.length = 0;
    try {
      const result = await sandbox.conversationRelayCall({ from: caller, to: ourNumber, lines: ['Hello'] });
      expect(result.endedBy).toBe('socket');
    } finally {
      sandbox.setWebhookSigningMode({});
    }
    expect(bot.upgrades[0]).toMatchObject({
      'x-twilio-signature': twilioSignature('HMAC_SHA256', sharedKey.secret, bot.url, {}),
      'x-twilio-webhooks-signature-settings': 'key=KS1,algorithm=HMAC_SHA256',
    });
    // The ingress's receiver checks auth-token signatures only.
    ingress.received.length = 0;
  });

  it('plays no session when the TwiML has no ConversationRelay', async () => {
    ingress.respondWith((webhook) => (webhook.path === '/twilio/voice' ? 200 : 204));
    const result = await sandbox.conversationRelayCall({ from: caller, to: ourNumber, lines: ['Hello'] });
    expect(result).toMatchObject({ sessionId: null, endedBy: null, dialogue: [], voiceTwiml: '<Response/>' });
    expect(ingress.received.at(-1)?.params.CallStatus).toBe('completed');
  });

  it('is driven through POST /sandbox/calls, refusing malformed lines', async () => {
    const post = (body: unknown) =>
      fetch(`${sandbox.url}/sandbox/calls`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify(body),
      });
    const response = await post({ from: caller, to: ourNumber, lines: ['Goodbye'] });
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({
      endedBy: 'bot',
      dialogue: [{ speaker: 'bot' }, { speaker: 'caller', text: 'Goodbye' }, { speaker: 'bot' }],
    });

    const refused = await post({ from: caller, to: ourNumber, lines: [{ digits: 'x' }] });
    expect(refused.status).toBe(400);
    expect(JSON.stringify(await refused.json())).toContain('lines.0');
  });
});

describe('a placed call answered with ConversationRelay', () => {
  it('plays the session with the call mode’s lines, as an outbound call, and keeps its dialogue', async () => {
    const callee = '+14155550177';
    sandbox.setCallModeFor(callee, { lines: ['Hello?', 'OK, bye'] });
    const client = createTwilioClient({ accountSid, authToken, apiBaseUrl: sandbox.url });
    const placed = await client.calls.create({
      to: callee,
      from: ourNumber,
      url: `${ingress.url}/twilio/voice`,
      statusCallback: `${ingress.url}/twilio/voice/status`,
      statusCallbackEvent: ['initiated', 'ringing', 'answered', 'completed'],
      machineDetection: 'DetectMessageEnd',
    });

    const call = await waitFor('the call to end', () =>
      sandbox.calls().find((c) => c.sid === placed.sid && c.status === 'completed'),
    );
    expect(bot.sessions[0]?.setup).toMatchObject({
      callSid: placed.sid,
      from: ourNumber,
      to: callee,
      direction: 'outbound-api',
      customParameters: { userId: 'u-1', firstName: 'Ada & co' },
    });
    expect(call.relaySession).toMatchObject({
      endedBy: 'bot',
      dialogue: [
        { speaker: 'bot', text: 'Hi Ada, thanks for calling Series Killer.' },
        { speaker: 'caller', text: 'Hello?' },
        { speaker: 'bot', text: 'You said Hello? Tell me more about it, I am listening carefully.' },
        { speaker: 'caller', text: 'OK, bye' },
        { speaker: 'bot', text: 'Thanks for calling, goodbye!' },
      ],
    });
    const action = ingress.received.find((w) => w.path === '/twilio/voice/relay-ended');
    expect(action?.params).toMatchObject({
      CallSid: placed.sid,
      Direction: 'outbound-api',
      SessionStatus: 'completed',
    });
    const statuses = () =>
      ingress.received.filter((w) => w.path === '/twilio/voice/status').map((w) => w.params.CallStatus);
    await waitFor('the completed callback', () => statuses().includes('completed'));
    expect(statuses()).toEqual(['initiated', 'ringing', 'in-progress', 'completed']);
  });
});
