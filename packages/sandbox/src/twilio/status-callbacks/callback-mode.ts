/** How the sandbox plays a message's delivery and its status callbacks. */
export interface CallbackMode {
  /** Send every callback twice with the same idempotency token, as a Twilio redelivery does. Default false. */
  duplicate?: boolean;
  /** Deliver a message's callbacks in an order other than the natural one. Default false. */
  shuffle?: boolean;
  /** Wait before each status change and its callback, in ms. Default 0. */
  delayMs?: number;
  /** How the message ends: `sent` then `delivered`/`undelivered`, or `failed` alone. Default 'delivered'. */
  outcome?: 'delivered' | 'undelivered' | 'failed';
  /** ErrorCode of an undelivered or failed message. Default 30003 (undelivered), 30008 (failed). */
  errorCode?: number;
  /** Send status callbacks at all; the message's status moves on either way. Default true. */
  enabled?: boolean;
}

/** The global callback mode plus rules for single `To` numbers, which override it field by field. */
export class CallbackModes {
  #global: CallbackMode = {};
  #byTo = new Map<string, CallbackMode>();

  /** Replaces the global mode; `{}` restores the defaults. */
  setGlobal(mode: CallbackMode): void {
    this.#global = { ...mode };
  }

  /** Sets (or, with undefined, removes) the rule for messages to one number. */
  setFor(to: string, mode: CallbackMode | undefined): void {
    if (mode === undefined) this.#byTo.delete(to);
    else this.#byTo.set(to, { ...mode });
  }

  /** The mode a new message to `to` gets. */
  resolve(to: string): Required<Omit<CallbackMode, 'errorCode'>> & { errorCode: number | undefined } {
    const mode = { ...this.#global, ...this.#byTo.get(to) };
    return {
      duplicate: mode.duplicate ?? false,
      shuffle: mode.shuffle ?? false,
      delayMs: mode.delayMs ?? 0,
      outcome: mode.outcome ?? 'delivered',
      errorCode: mode.errorCode,
      enabled: mode.enabled ?? true,
    };
  }

  reset(): void {
    this.#global = {};
    this.#byTo.clear();
  }
}
