import { BoundedLog } from '../log/bounded-log.ts';

/** A stream whose client went away before its last chunk. */
export interface AbortedStream {
  /** The completion's id (`chatcmpl-…`). */
  id: string;
  /** When the sandbox saw the client go, in ms since the epoch (sub-millisecond precision). */
  abortedAt: number;
  /** Tokens (content or argument pieces) written before the abort. */
  tokensWritten: number;
  /** Tokens the whole answer had. */
  tokensPlanned: number;
}

/** What the streams of chat completions did, for tests and benchmarks. */
export interface StreamStatsSnapshot {
  /** Streams still running (waiting for or writing tokens). */
  active: number;
  /** Streams that sent `[DONE]`. */
  completed: number;
  /** Streams whose client went away first. */
  aborted: number;
  /** Tokens a stream tried to write after its client had gone (nothing is written; more than 0 is a bug). */
  tokensAfterAbort: number;
  /** The newest aborted streams. */
  aborts: AbortedStream[];
}

export class StreamStats {
  active = 0;
  completed = 0;
  tokensAfterAbort = 0;
  readonly #aborts: BoundedLog<AbortedStream>;
  #aborted = 0;

  constructor(capacity: number) {
    this.#aborts = new BoundedLog(capacity);
  }

  recordAbort(stream: AbortedStream): void {
    this.#aborted += 1;
    this.#aborts.push(stream);
  }

  snapshot(): StreamStatsSnapshot {
    return {
      active: this.active,
      completed: this.completed,
      aborted: this.#aborted,
      tokensAfterAbort: this.tokensAfterAbort,
      aborts: this.#aborts.toArray(),
    };
  }

  /** Clears the counts and the log; streams still running stay counted as active. */
  reset(): void {
    this.completed = 0;
    this.tokensAfterAbort = 0;
    this.#aborted = 0;
    this.#aborts.clear();
  }
}
