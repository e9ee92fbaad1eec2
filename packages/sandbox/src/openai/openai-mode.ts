import { FailureSwitch } from '../switches/failure-switch.ts';

/** Switches that make the chat completions endpoint misbehave as OpenAI sometimes does. */
export interface OpenAIMode {
  /**
   * Answer with this HTTP status and OpenAI's error body instead of a completion (a stream
   * too: before it starts). `'hang'`: accept the request and never answer it (a stream sends
   * its headers and never a token) until the client gives up.
   */
  failWith?: 400 | 401 | 429 | 500 | 'hang';
  /** How many requests fail before the endpoint recovers. Default: every request until the mode is replaced. */
  times?: number;
  /** Wait before answering (a stream: before its headers), in ms. Default 0. */
  latencyMs?: number;
  /** A stream's time from its headers to its first token, in ms. Default 0. */
  firstTokenMs?: number;
  /** A stream's time between two tokens, in ms. Default 0. */
  interTokenMs?: number;
  /** The `retry-after-ms` of a 429 (and `retry-after`, rounded up to seconds). Default 1000. */
  retryAfterMs?: number;
  /** The model's context window in tokens; longer prompts get OpenAI's 400 `context_length_exceeded`. Default 128000. */
  contextWindowTokens?: number;
}

/** The current mode, counting down the failures it still owes. */
export class OpenAIModeState {
  #mode: OpenAIMode = {};
  readonly #failures = new FailureSwitch<NonNullable<OpenAIMode['failWith']>>();

  /** Replaces the mode; `{}` restores the defaults. */
  set(mode: OpenAIMode): void {
    this.#mode = { ...mode };
    this.#failures.set(mode.failWith, mode.times);
  }

  /** The failure this request gets, if any. */
  takeFailure(): OpenAIMode['failWith'] {
    return this.#failures.take();
  }

  get latencyMs(): number {
    return this.#mode.latencyMs ?? 0;
  }

  get firstTokenMs(): number {
    return this.#mode.firstTokenMs ?? 0;
  }

  get interTokenMs(): number {
    return this.#mode.interTokenMs ?? 0;
  }

  get retryAfterMs(): number {
    return this.#mode.retryAfterMs ?? 1000;
  }

  get contextWindowTokens(): number {
    return this.#mode.contextWindowTokens ?? 128_000;
  }
}
