import WebSocket from 'ws';
import { callWebhookParams } from '../calls/call-webhook-params.ts';
import { newSid } from '../sids.ts';
import { newIdempotencyToken, type WebhookRequest } from '../webhooks/webhook-sender.ts';
import { BotInbox } from './bot-inbox.ts';
import { type ConversationRelayTwiml, readConversationRelay } from './conversation-relay-twiml.ts';
import type { DriverDeps } from './inbound-sms.ts';
import { incomingCallWebhook, voiceStatusCallback } from './simulate-call.ts';

/**
 * One thing the caller does: say a line (once the bot's reply has ended, or barging in after
 * `interruptAfterTokens` tokens of it and speaking for `speakingMs` before the line is final),
 * press keys, or stay silent until the bot speaks again.
 */
export type CallerLine =
  | string
  | { say: string; interruptAfterTokens?: number; speakingMs?: number }
  | { digits: string }
  | { silence: true };

/** A conversation played as Twilio plays a call answered with `<Connect><ConversationRelay>`. */
export interface RelayCallInput {
  /** The caller. */
  from: string;
  /** The application's number. */
  to: string;
  /** What the caller does, in order; lines after the bot's `end` are not played. */
  lines: CallerLine[];
  /** How long the caller waits for the bot to speak (a reply's end, or `end`), in ms; then hangs up. Default 10000. */
  replyTimeoutMs?: number;
  /** How long the caller waits, after the last line's reply, for the bot to end the call, in ms. Default 1000. */
  hangUpAfterMs?: number;
}

/** One turn of the dialogue as the caller heard it. */
export interface DialogueTurn {
  speaker: 'bot' | 'caller';
  /** What was said; a bot turn cut by the caller holds only what was heard. Empty for keys pressed. */
  text: string;
  /** A bot turn the caller barged into. */
  interrupted?: true;
  /** Keys the caller pressed. */
  digits?: string;
}

/** How the ConversationRelay session ended. */
export type SessionEnd =
  /** The bot sent `end`: `SessionStatus` completed. */
  | 'bot'
  /** The caller hung up (the bot never ended, or went silent): no action callback. */
  | 'caller'
  /** The WebSocket could not open or closed without `end`: `SessionStatus` failed. */
  | 'socket';

export interface RelayCallResult {
  callSid: string;
  /** `VX…`; null when the TwiML had no `<ConversationRelay>`. */
  sessionId: string | null;
  dialogue: DialogueTurn[];
  /** Null when the TwiML had no `<ConversationRelay>`. */
  endedBy: SessionEnd | null;
  /** The `end` message's `handoffData`. */
  handoffData: string | null;
  /** What the ingress answered to the voice webhook. */
  voiceTwiml: string;
  /** What the `<Connect action>` URL answered (e.g. `<Dial>`); null when it was not called. */
  actionTwiml: string | null;
  /** Why the session failed or the caller hung up early. */
  error: string | null;
  /**
   * Bot tokens that arrived between an `interrupt` and the caller's next prompt: Twilio plays none
   * of them. A bot that stops at once sends none, though a token already on the wire may count.
   */
  tokensAfterInterrupt: number;
  /** Each webhook as sent, in order, with the HTTP status answered. */
  deliveries: { kind: string; params: Record<string, string>; status: number }[];
}

const REPLY_TIMEOUT_MS = 10_000;
const HANG_UP_AFTER_MS = 1_000;
/** ConversationRelay's default `language`. */
const DEFAULT_LANGUAGE = 'en-US';

/** What the caller heard of one bot reply. */
interface Heard {
  text: string;
  outcome: 'complete' | 'interrupted' | 'ended' | 'closed' | 'timeout';
  /** From the reply's first token to the interrupt, in ms. */
  spokenMs: number;
}

/** One live ConversationRelay session, as Twilio's side of it. */
class RelaySession {
  readonly dialogue: DialogueTurn[] = [];
  handoffData: string | null = null;
  endedBy: SessionEnd | undefined;
  error: string | null = null;
  tokensAfterInterrupt = 0;
  readonly #socket: WebSocket;
  readonly #inbox: BotInbox;
  readonly #replyTimeoutMs: number;

  constructor(socket: WebSocket, replyTimeoutMs: number) {
    this.#socket = socket;
    this.#inbox = new BotInbox(socket);
    this.#replyTimeoutMs = replyTimeoutMs;
  }

  send(message: Record<string, unknown>): void {
    this.#socket.send(JSON.stringify(message));
  }

  /** Reads the bot's reply until its `last` token, `end`, or (when `interruptAfter` is set) that many tokens. */
  async hear(interruptAfter: number | undefined, timeoutMs = this.#replyTimeoutMs): Promise<Heard> {
    const deadline = Date.now() + timeoutMs;
    let text = '';
    let tokens = 0;
    let firstAt: number | undefined;
    const heard = (outcome: Heard['outcome']): Heard => ({
      text: text.trim(),
      outcome,
      spokenMs: Date.now() - (firstAt ?? Date.now()),
    });
    for (;;) {
      const message = await this.#inbox.next(deadline);
      if (message === 'closed' || message === 'timeout') return heard(message);
      if (message.type === 'end') {
        this.handoffData = message.handoffData ?? null;
        return heard('ended');
      }
      if (message.type !== 'text') continue;
      firstAt ??= Date.now();
      text += message.token;
      if (message.token !== '') tokens += 1;
      if (message.last) return heard('complete');
      if (interruptAfter !== undefined && tokens >= interruptAfter) return heard('interrupted');
    }
  }

  /** Records a reply as heard and, when it cut the session short, how the session ended. */
  record(heard: Heard): boolean {
    if (heard.text !== '')
      this.dialogue.push({
        speaker: 'bot',
        text: heard.text,
        ...(heard.outcome === 'interrupted' && { interrupted: true }),
      });
    if (heard.outcome === 'ended') this.endedBy = 'bot';
    if (heard.outcome === 'closed') {
      this.endedBy = 'socket';
      this.error = this.#inbox.error
        ? `the WebSocket failed: ${this.#inbox.error.message}`
        : 'the WebSocket closed without an end message';
    }
    if (heard.outcome === 'timeout') {
      this.endedBy = 'caller';
      this.error = `the bot said nothing for ${this.#replyTimeoutMs} ms`;
    }
    return this.endedBy === undefined;
  }

  /** Whether the bot has said something not heard yet (a second reply, or `end` right after a goodbye). */
  hasPending(): Promise<boolean> {
    return this.#inbox.hasPending();
  }

  /**
   * Barges into the reply being heard: the rest of the reply that had already arrived goes unheard,
   * Twilio's `interrupt` carries what was heard so far, then the caller speaks for `speakingMs`,
   * while any token that still arrives is dropped and counted.
   */
  async interrupt(heard: Heard, speakingMs: number): Promise<void> {
    // What had arrived of the reply by the barge-in was sent before it: unheard, not late.
    await this.#inbox.hasPending();
    this.#inbox.dropArrivedReply();
    this.send({ type: 'interrupt', utteranceUntilInterrupt: heard.text, durationUntilInterruptMs: heard.spokenMs });
    await this.#inbox.hasPending();
    const deadline = Date.now() + speakingMs;
    for (;;) {
      const message = await this.#inbox.next(deadline);
      if (message === 'timeout') return;
      if (message === 'closed' || message.type === 'end') {
        this.record({ text: '', outcome: message === 'closed' ? 'closed' : 'ended', spokenMs: 0 });
        if (message !== 'closed') this.handoffData = message.handoffData ?? null;
        return;
      }
      if (message.type === 'text' && message.token !== '') this.tokensAfterInterrupt += 1;
    }
  }

  close(): void {
    this.#socket.close(1000);
  }
}

function interruptAfterOf(line: CallerLine | undefined): number | undefined {
  return typeof line === 'object' && 'say' in line ? line.interruptAfterTokens : undefined;
}

/** Sends what the caller does: a final `prompt`, one `dtmf` per key, or nothing for silence. */
function act(session: RelaySession, line: CallerLine, lang: string): void {
  if (typeof line === 'object' && 'digits' in line) {
    session.dialogue.push({ speaker: 'caller', text: '', digits: line.digits });
    for (const digit of line.digits) session.send({ type: 'dtmf', digit });
    return;
  }
  if (typeof line === 'object' && 'silence' in line) return;
  const say = typeof line === 'string' ? line : line.say;
  session.dialogue.push({ speaker: 'caller', text: say });
  session.send({ type: 'prompt', voicePrompt: say, lang, last: true });
}

/** Records a reply: false once the session is over, else the reply when the next line barges into it. */
function settle(session: RelaySession, heard: Heard): Heard | undefined | false {
  if (!session.record(heard)) return false;
  return heard.outcome === 'interrupted' ? heard : undefined;
}

/** The conversation itself: setup, the greeting or the bot's opening, each line, the wait for `end`. */
async function converse(
  session: RelaySession,
  setup: Record<string, unknown>,
  relay: ConversationRelayTwiml,
  input: RelayCallInput,
): Promise<void> {
  session.send(setup);
  let cut: Heard | undefined;
  const greeting = relay.attributes.welcomeGreeting;
  if (greeting) session.dialogue.push({ speaker: 'bot', text: greeting });
  else {
    const opening = settle(session, await session.hear(interruptAfterOf(input.lines[0])));
    if (opening === false) return;
    cut = opening;
  }
  for (const [index, line] of input.lines.entries()) {
    if (!cut && (await session.hasPending())) {
      const pending = settle(session, await session.hear(interruptAfterOf(line)));
      if (pending === false) return;
      cut = pending;
    }
    if (cut) {
      await session.interrupt(cut, typeof line === 'object' && 'say' in line ? (line.speakingMs ?? 0) : 0);
      if (session.endedBy) return;
    }
    act(session, line, relay.attributes.transcriptionLanguage ?? relay.attributes.language ?? DEFAULT_LANGUAGE);
    const reply = settle(session, await session.hear(interruptAfterOf(input.lines[index + 1])));
    if (reply === false) return;
    cut = reply;
  }
  // The caller has said everything: whatever the bot still says is heard until it ends the call.
  for (;;) {
    const more = await session.hear(undefined, input.hangUpAfterMs ?? HANG_UP_AFTER_MS);
    if (more.outcome === 'timeout') {
      session.record({ ...more, outcome: 'complete' });
      session.endedBy = 'caller';
      return;
    }
    if (!session.record(more)) return;
  }
}

function openSocket(url: string, headers: Record<string, string>, timeoutMs: number): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(url, { headers, handshakeTimeout: timeoutMs });
    socket.once('open', () => resolve(socket));
    socket.once('error', reject);
  });
}

/**
 * Plays an incoming call answered with `<Connect><ConversationRelay>` as Twilio does: the signed
 * voice webhook, the TwiML read, the call's status callbacks (`initiated`, `ringing`,
 * `in-progress`), the WebSocket opened with `X-Twilio-Signature` over its URL, `setup`, the
 * caller's lines as `prompt`, `interrupt` and `dtmf` messages, the bot's `end`, the signed
 * `<Connect action>` callback, then `completed`. Resolves with the dialogue as the caller heard it.
 */
export async function conversationRelayCall(deps: DriverDeps, input: RelayCallInput): Promise<RelayCallResult> {
  const callSid = newSid('CA');
  const startedAt = Date.now();
  const base = callWebhookParams(deps.accountSid, callSid, input, 'inbound');
  const deliveries: RelayCallResult['deliveries'] = [];
  const send = async (request: WebhookRequest) => {
    const result = await deps.sender.send(request);
    deliveries.push({ kind: request.kind, params: request.params, status: result.status });
    return result;
  };
  const voiceRequest = incomingCallWebhook(deps, base);
  const voice = await send(voiceRequest);
  let sequence = 0;
  for (const status of ['initiated', 'ringing', 'in-progress'])
    await send(voiceStatusCallback(deps, base, status, sequence++, 0));

  const relay = voice.status === 200 ? readConversationRelay(voice.body, voiceRequest.url) : undefined;
  const session = relay ? await runSession(deps, input, base, relay, send) : undefined;

  const duration = Math.max(1, Math.ceil((Date.now() - startedAt) / 1000));
  await send(voiceStatusCallback(deps, base, 'completed', sequence, duration));
  return {
    callSid,
    sessionId: session?.sessionId ?? null,
    dialogue: session?.dialogue ?? [],
    endedBy: session?.endedBy ?? null,
    handoffData: session?.handoffData ?? null,
    voiceTwiml: voice.body,
    actionTwiml: session?.actionTwiml ?? null,
    error: session?.error ?? null,
    tokensAfterInterrupt: session?.tokensAfterInterrupt ?? 0,
    deliveries,
  };
}

export interface SessionOutcome {
  sessionId: string;
  dialogue: DialogueTurn[];
  endedBy: SessionEnd;
  handoffData: string | null;
  actionTwiml: string | null;
  error: string | null;
  tokensAfterInterrupt: number;
}

async function runSession(
  deps: DriverDeps,
  input: RelayCallInput,
  base: Record<string, string>,
  relay: ConversationRelayTwiml,
  send: (request: WebhookRequest) => Promise<{ status: number; body: string }>,
  hangUp?: AbortSignal,
): Promise<SessionOutcome> {
  const sessionId = newSid('VX');
  const url = relay.attributes.url ?? '';
  const openedAt = Date.now();
  const replyTimeoutMs = input.replyTimeoutMs ?? REPLY_TIMEOUT_MS;
  let session: RelaySession | undefined;
  let error: string | null = null;
  try {
    session = new RelaySession(await openSocket(url, deps.sender.sign(url, {}), replyTimeoutMs), replyTimeoutMs);
  } catch (cause) {
    error = `the WebSocket at ${url} could not be opened: ${cause instanceof Error ? cause.message : String(cause)}`;
  }
  if (session) {
    // The sandbox closing hangs up live calls rather than leaving them waiting for the bot.
    // Or the call being ended through the API.
    const ended = hangUp ? AbortSignal.any([deps.sender.signal, hangUp]) : deps.sender.signal;
    const close = () => session?.close();
    ended.addEventListener('abort', close, { once: true });
    await converse(session, setupMessage(deps.accountSid, sessionId, base, relay), relay, input);
    ended.removeEventListener('abort', close);
    session.close();
  }
  const endedBy = session?.endedBy ?? 'socket';
  const outcome: SessionOutcome = {
    sessionId,
    dialogue: session?.dialogue ?? [],
    endedBy,
    handoffData: session?.handoffData ?? null,
    actionTwiml: null,
    error: session?.error ?? error,
    tokensAfterInterrupt: session?.tokensAfterInterrupt ?? 0,
  };
  // A caller who hangs up ends the call: no TwiML is left to run.
  if (endedBy === 'caller' || relay.action === undefined) return outcome;
  const action = await send({
    kind: 'voice-relay-action',
    url: relay.action,
    idempotencyToken: newIdempotencyToken(),
    params: {
      ...base,
      CallStatus: 'in-progress',
      SessionId: sessionId,
      SessionStatus: endedBy === 'bot' ? 'completed' : 'failed',
      SessionDuration: String(Math.ceil((Date.now() - openedAt) / 1000)),
      ...(outcome.handoffData !== null && { HandoffData: outcome.handoffData }),
      ...(endedBy === 'socket' && {
        ErrorCode: session ? '64105' : '64102',
        ErrorMessage: outcome.error ?? 'WebSocket ended',
      }),
    },
  });
  return { ...outcome, actionTwiml: action.body };
}

function setupMessage(
  accountSid: string,
  sessionId: string,
  base: Record<string, string>,
  relay: ConversationRelayTwiml,
): Record<string, unknown> {
  return {
    type: 'setup',
    sessionId,
    accountSid,
    parentCallSid: '',
    callSid: base.CallSid,
    from: base.From,
    to: base.To,
    forwardedFrom: base.To,
    callerName: '',
    direction: base.Direction,
    callType: 'PSTN',
    callStatus: 'RINGING',
    customParameters: relay.parameters,
  };
}

/** A placed call, answered, whose TwiML may connect a ConversationRelay session. */
export interface AnsweredCallTwiml {
  /** The call's webhook parameters (`callWebhookParams`). */
  base: Record<string, string>;
  twiml: string;
  /** Where the TwiML came from, for its relative URLs. */
  documentUrl: string;
  /** What the person who answered says. */
  lines: CallerLine[];
  /** Aborts when the call is ended through the API. */
  hangUp: AbortSignal;
}

/**
 * Plays the ConversationRelay session an answered placed call's TwiML connects, as for an
 * incoming call (setup, the lines, the bot's end, the action callback); undefined when the
 * TwiML connects none.
 */
export async function playAnsweredCallRelay(
  deps: DriverDeps,
  answered: AnsweredCallTwiml,
): Promise<SessionOutcome | undefined> {
  const relay = readConversationRelay(answered.twiml, answered.documentUrl);
  if (!relay) return undefined;
  const input = { from: answered.base.From ?? '', to: answered.base.To ?? '', lines: answered.lines };
  return runSession(deps, input, answered.base, relay, (request) => deps.sender.send(request), answered.hangUp);
}
