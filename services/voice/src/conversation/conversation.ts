import {
  type BotAction,
  type Db,
  encodeRelayHandoff,
  type HandoffReason,
  type JobData,
  type Logger,
  OUTBOUND_CALL_PARAMETERS,
} from '@series-killer/shared';
import type OpenAI from 'openai';
import type { ChatCompletionMessageParam } from 'openai/resources/chat/completions';
import { type CallerContext, loadCallerContext } from '../context/load-caller-context.ts';
import type { VoiceMetrics } from '../metrics/voice-metrics.ts';
import type { BotMessage, RelayMessage, SetupMessage } from '../relay-protocol/relay-messages.ts';
import { type ReplyToolCall, streamReply } from '../replies/stream-reply.ts';
import { botTools, InvalidToolCallError, parseToolCall, type ToolCall } from '../tools/bot-tools.ts';
import { type CallerTexter, textRecipient } from '../tools/text-caller.ts';
import type { LastTurnFinder, TurnSink } from '../turns/turn-jobs.ts';
import { SPOKEN, systemPrompt } from './bot-instructions.ts';

/** The conversation's settings, from `VOICE_BOT_*`. */
export interface ConversationSettings {
  model: string;
  instructions: string;
  /** A number to transfer to is configured: the bot offers transfers and `0` asks for one. */
  transferEnabled: boolean;
  /** Caller silence after the bot finished before "are you still there?", in ms. */
  idleAfterMs: number;
  /** Call length at which the bot wraps up, in ms. */
  maxCallMs: number;
  /** Time the model has to start a reply, in ms. */
  firstTokenTimeoutMs: number;
  /** Time the caller's context may take to load at `setup`, in ms. */
  contextBudgetMs: number;
}

export interface ConversationDeps {
  db: Db;
  /** The model's client, loaded on first use. */
  openai: () => Promise<OpenAI>;
  turns: TurnSink;
  /** The call's last turn so far, stored or still queued: a reconnected conversation numbers on from it. */
  lastTurn: LastTurnFinder;
  texts: CallerTexter;
  logger: Logger;
  metrics: VoiceMetrics;
  settings: ConversationSettings;
}

/** The socket a conversation talks on: what it needs of a `ws` WebSocket. */
export interface RelaySocket {
  send(message: BotMessage): void;
}

/** Most model rounds in one turn (a tool call, then the spoken follow-up). */
const MAX_TOOL_ROUNDS = 2;

/** A turn from the caller's input until it is stored: the reply streaming or spoken, not yet cut or replaced. */
interface OpenTurn {
  turn: number;
  callerText: string;
  digits: string;
  /** What was sent to Twilio, then what the caller heard once they interrupted. */
  botText: string;
  interrupted: boolean;
  actions: BotAction[];
  /** Whether the bot's words are in the history yet. */
  inHistory: boolean;
  /** Where in the history they are, so an interrupt can cut them to what was heard. */
  historyIndex?: number;
  toolRounds: number;
}

/** The call, known once `setup` has arrived and the caller's context is loaded. */
interface Call {
  callSid: string;
  sessionId: string;
  context: CallerContext;
}

/**
 * One live ConversationRelay session: owns the history, the turn in progress, the reply in flight
 * (with the AbortController that cancels the model's stream) and the timers. Every message Twilio
 * sends arrives through `handle`; `closed` is called once the socket has closed and leaves nothing
 * running.
 */
export class Conversation {
  readonly #socket: RelaySocket;
  readonly #deps: ConversationDeps;
  #call?: Call;
  #ready?: Promise<void>;
  readonly #history: ChatCompletionMessageParam[] = [];
  #turnCount = 0;
  #open?: OpenTurn;
  #reply?: AbortController;
  #idleTimer?: NodeJS.Timeout;
  #maxCallTimer?: NodeJS.Timeout;
  #idlePrompts = 0;
  /** `end` was sent or the socket closed: nothing more is said. */
  #ended = false;

  constructor(socket: RelaySocket, deps: ConversationDeps) {
    this.#socket = socket;
    this.#deps = deps;
  }

  /** Whether `setup` has arrived. */
  get isSetUp(): boolean {
    return this.#ready !== undefined;
  }

  handle(message: RelayMessage): void {
    switch (message.type) {
      case 'setup':
        this.#setup(message);
        return;
      case 'prompt':
        if (message.last) void this.#whenReady(() => this.#prompt(message.voicePrompt));
        return;
      case 'interrupt': {
        const receivedAt = performance.now();
        void this.#whenReady(() => this.#interrupt(message.utteranceUntilInterrupt, receivedAt));
        return;
      }
      case 'dtmf':
        void this.#whenReady(() => this.#digit(message.digit));
        return;
      case 'error':
        this.#deps.logger.warn({ callSid: this.#call?.callSid, description: message.description }, 'relay error');
        return;
    }
  }

  /** The socket closed: the reply in flight is cancelled, the turn stored, the timers cleared. */
  closed(): void {
    this.#ended = true;
    this.#storeOpenTurn();
    this.#clearTimers();
  }

  #setup(message: SetupMessage): void {
    if (this.#ready) return;
    const { logger, db, settings } = this.#deps;
    const caller = message.direction?.startsWith('outbound') ? message.to : message.from;
    this.#ready = loadCallerContext(
      db,
      { callSid: message.callSid, caller },
      { budgetMs: settings.contextBudgetMs, logger },
    ).then(async (context) => {
      const lastStored = context.storedTurns.at(-1)?.turn ?? 0;
      this.#turnCount = await this.#deps.lastTurn(message.callSid, lastStored);
      this.#call = { callSid: message.callSid, sessionId: message.sessionId, context };
      const outbound = message.direction?.startsWith('outbound')
        ? { purpose: message.customParameters[OUTBOUND_CALL_PARAMETERS.purpose] }
        : undefined;
      this.#history.push({ role: 'system', content: systemPrompt(settings.instructions, context, outbound) });
      // A reconnected session carries on from the turns already stored.
      for (const stored of context.storedTurns) {
        if (stored.caller) this.#history.push({ role: 'user', content: stored.caller });
        if (stored.bot) this.#history.push({ role: 'assistant', content: stored.bot });
      }
      // Twilio spoke the greeting the ingress chose: the model should know it was said, and the transcript has it.
      const greeting = message.customParameters.welcomeGreeting;
      if (greeting && this.#turnCount === 0) {
        this.#openTurn({ callerText: '', digits: '' }).botText = greeting;
        this.#storeOpenTurn();
      }
      if (!this.#ended) this.#maxCallTimer = setTimeout(() => this.#wrapUp(), settings.maxCallMs);
    });
  }

  async #whenReady(act: () => void): Promise<void> {
    if (!this.#ready) return;
    await this.#ready;
    if (!this.#ended) act();
  }

  #prompt(text: string): void {
    this.#callerSpoke();
    this.#storeOpenTurn();
    this.#startTurn({ callerText: text, digits: '' }, text);
  }

  /** `receivedAt`: when the interrupt's message was handed to the conversation (`performance.now()`). */
  #interrupt(heard: string, receivedAt: number): void {
    this.#callerSpoke();
    const open = this.#open;
    if (!open) return;
    if (this.#reply) {
      // Aborting the request closes its connection to the model at once (the fetch's socket is destroyed).
      this.#cancelReply();
      this.#deps.metrics.interruptAbortSeconds.observe((performance.now() - receivedAt) / 1_000);
    }
    open.botText = heard;
    open.interrupted = true;
    // The reply may have finished streaming while Twilio was still speaking it.
    if (open.historyIndex !== undefined) this.#history[open.historyIndex] = { role: 'assistant', content: heard };
    this.#storeOpenTurn();
    this.#startIdleTimer();
  }

  #digit(digit: string): void {
    this.#callerSpoke();
    this.#storeOpenTurn();
    if (digit === '0' && this.#deps.settings.transferEnabled) {
      const open = this.#openTurn({ callerText: '', digits: digit });
      open.actions.push('transfer_to_human');
      this.#say(SPOKEN.transfer, open);
      this.#end('transfer');
      return;
    }
    this.#startTurn({ callerText: '', digits: digit }, `(The caller pressed ${digit} on their keypad.)`);
  }

  #callerSpoke(): void {
    clearTimeout(this.#idleTimer);
    this.#idlePrompts = 0;
  }

  #openTurn(input: { callerText: string; digits: string }): OpenTurn {
    this.#turnCount += 1;
    this.#open = {
      turn: this.#turnCount,
      ...input,
      botText: '',
      interrupted: false,
      actions: [],
      inHistory: false,
      toolRounds: 0,
    };
    return this.#open;
  }

  #startTurn(input: { callerText: string; digits: string }, userMessage: string): void {
    const open = this.#openTurn(input);
    this.#history.push({ role: 'user', content: userMessage });
    this.#respondSafely(open, 0);
  }

  /** `#respond`, with a fault of the bot's own ending the call politely rather than the process. */
  #respondSafely(open: OpenTurn, attempt: number): void {
    this.#respond(open, attempt).catch((error: unknown) => {
      this.#deps.logger.error({ err: error, callSid: this.#call?.callSid }, 'reply failed unexpectedly');
      this.#reply = undefined;
      this.#say(SPOKEN.modelFailedGoodbye, open);
      this.#end('model-failed');
    });
  }

  /** Streams the model's reply to the socket, token by token; `attempt` 1 is the retry after a failure. */
  async #respond(open: OpenTurn, attempt: number): Promise<void> {
    const controller = new AbortController();
    this.#reply = controller;
    const { openai, settings, metrics } = this.#deps;
    const request = {
      model: settings.model,
      messages: [...this.#history],
      tools: botTools({ transferEnabled: settings.transferEnabled }),
      firstTokenTimeoutMs: settings.firstTokenTimeoutMs,
    };
    let toolCalls: ReplyToolCall[];
    let forwarded = false;
    const forward = (token: string) => {
      const stopTimer = forwarded ? undefined : metrics.firstTokenForwardSeconds.startTimer();
      this.#sendToken(controller.signal, open, token);
      stopTimer?.();
      forwarded = true;
    };
    try {
      toolCalls = await streamReply(await openai(), request, controller.signal, forward);
    } catch (error) {
      if (controller.signal.aborted) return;
      this.#reply = undefined;
      metrics.modelFailures.inc();
      this.#deps.logger.warn({ err: error, callSid: this.#call?.callSid, attempt }, 'model reply failed');
      return this.#modelFailed(open, attempt);
    }
    if (controller.signal.aborted) return;
    this.#reply = undefined;
    if (toolCalls.length > 0) return this.#useTools(open, toolCalls, attempt);
    this.#finishReply(open);
  }

  /** Sends one token unless the reply was cancelled: nothing after an interrupt reaches the socket. */
  #sendToken(signal: AbortSignal, open: OpenTurn, token: string): void {
    if (signal.aborted || this.#ended || token === '') return;
    this.#socket.send({ type: 'text', token, last: false });
    open.botText += token;
  }

  #finishReply(open: OpenTurn): void {
    this.#socket.send({ type: 'text', token: '', last: true });
    this.#rememberBotWords(open);
    this.#startIdleTimer();
  }

  #rememberBotWords(open: OpenTurn): void {
    if (open.inHistory) return;
    open.inHistory = true;
    if (!open.botText) return;
    open.historyIndex = this.#history.length;
    this.#history.push({ role: 'assistant', content: open.botText });
  }

  #modelFailed(open: OpenTurn, attempt: number): void {
    if (attempt === 0) {
      this.#say(SPOKEN.modelSlow, open);
      this.#respondSafely(open, 1);
      return;
    }
    if (this.#deps.settings.transferEnabled) {
      open.actions.push('transfer_to_human');
      this.#say(SPOKEN.modelFailedTransfer, open);
      this.#end('transfer');
      return;
    }
    this.#say(SPOKEN.modelFailedGoodbye, open);
    this.#end('model-failed');
  }

  async #useTools(open: OpenTurn, rawCalls: ReplyToolCall[], attempt: number) {
    const calls: ToolCall[] = [];
    const results = new Map<string, string>();
    for (const raw of rawCalls) {
      try {
        calls.push(parseToolCall(raw));
      } catch (error) {
        if (!(error instanceof InvalidToolCallError)) throw error;
        results.set(raw.id, `error: ${error.message}`);
      }
    }
    for (const call of calls) if (call.name === 'text_caller') results.set(call.id, await this.#textCaller(open, call));
    if (this.#ended || this.#open !== open) return;
    const ending = calls.find((call) => call.name === 'end_call' || call.name === 'transfer_to_human');
    if (ending?.name === 'transfer_to_human' && this.#deps.settings.transferEnabled) {
      open.actions.push('transfer_to_human');
      this.#say(SPOKEN.transfer, open);
      return this.#end('transfer');
    }
    if (ending?.name === 'end_call') {
      open.actions.push('end_call');
      this.#say(ending.args.goodbye?.trim() || SPOKEN.goodbye, open);
      return this.#end('goodbye');
    }
    // The model hears what its tools did and says so to the caller.
    this.#history.push({
      role: 'assistant',
      content: open.botText || null,
      tool_calls: rawCalls.map((raw) => ({
        id: raw.id,
        type: 'function' as const,
        function: { name: raw.name, arguments: raw.arguments },
      })),
    });
    for (const raw of rawCalls)
      this.#history.push({ role: 'tool', tool_call_id: raw.id, content: results.get(raw.id) ?? 'not available' });
    open.botText = '';
    open.toolRounds += 1;
    if (open.toolRounds >= MAX_TOOL_ROUNDS) return this.#finishReply(open);
    await this.#respond(open, attempt);
  }

  async #textCaller(open: OpenTurn, call: Extract<ToolCall, { name: 'text_caller' }>): Promise<string> {
    const call_ = this.#call;
    if (!call_) return 'error: the call is not set up';
    const recipient = textRecipient(call_.context);
    if ('refused' in recipient) return `not sent: ${recipient.refused}`;
    if (open.actions.includes('text_caller')) return 'not sent: one text per turn';
    try {
      await this.#deps.texts({ callSid: call_.callSid, turn: open.turn, body: call.args.message, ...recipient });
    } catch (error) {
      this.#deps.logger.error({ err: error, callSid: call_.callSid }, 'text to the caller not queued');
      return 'not sent: the text could not be queued';
    }
    open.actions.push('text_caller');
    return 'sent';
  }

  /** Says a line the bot knows without the model, as one whole reply. */
  #say(line: string, open: OpenTurn): void {
    if (this.#ended) return;
    this.#socket.send({ type: 'text', token: line, last: true });
    open.botText = open.botText ? `${open.botText} ${line}` : line;
  }

  /** Says a line nobody asked for (a prompt after silence, a wrap-up) as a turn of its own, so the history and the transcript have it. */
  #sayUnprompted(line: string): void {
    if (this.#ended) return;
    this.#say(line, this.#openTurn({ callerText: '', digits: '' }));
    this.#storeOpenTurn();
  }

  #cancelReply(): void {
    this.#reply?.abort();
    this.#reply = undefined;
  }

  /** Stores the turn in progress as it stands; a reply still streaming is cancelled and counts as cut off. */
  #storeOpenTurn(): void {
    const open = this.#open;
    if (!open) return;
    if (this.#reply) {
      this.#cancelReply();
      open.interrupted = true;
    }
    this.#rememberBotWords(open);
    this.#open = undefined;
    const call = this.#call;
    if (!call) return;
    this.#deps.metrics.turns.inc();
    const turn: JobData<'bot-turn'> = {
      callSid: call.callSid,
      sessionId: call.sessionId,
      turn: open.turn,
      callerText: open.callerText,
      digits: open.digits,
      botText: open.botText,
      interrupted: open.interrupted,
      actions: open.actions,
      endedAt: new Date().toISOString(),
    };
    this.#deps.turns(turn);
  }

  #startIdleTimer(): void {
    clearTimeout(this.#idleTimer);
    if (this.#ended) return;
    this.#idleTimer = setTimeout(() => this.#idle(), this.#deps.settings.idleAfterMs);
  }

  #idle(): void {
    if (this.#reply || this.#ended) return;
    this.#idlePrompts += 1;
    if (this.#idlePrompts >= 2) {
      this.#sayUnprompted(SPOKEN.idleGoodbye);
      this.#end('idle');
      return;
    }
    this.#sayUnprompted(SPOKEN.stillThere);
    this.#startIdleTimer();
  }

  #wrapUp(): void {
    if (this.#ended) return;
    this.#storeOpenTurn();
    this.#sayUnprompted(SPOKEN.maxCall);
    this.#end('max-call');
  }

  /** Ends the session: the turn in progress is stored, then `end` tells Twilio why and how many turns there were. */
  #end(reason: HandoffReason): void {
    if (this.#ended) return;
    this.#storeOpenTurn();
    this.#socket.send({ type: 'end', handoffData: encodeRelayHandoff({ reason, turns: this.#turnCount }) });
    this.#ended = true;
    this.#clearTimers();
  }

  #clearTimers(): void {
    clearTimeout(this.#idleTimer);
    clearTimeout(this.#maxCallTimer);
  }
}
