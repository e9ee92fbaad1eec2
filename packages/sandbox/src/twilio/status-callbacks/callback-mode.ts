import { ModesByNumber } from '../../switches/modes-by-number.ts';

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
export class CallbackModes extends ModesByNumber<CallbackMode> {
  /** The mode a new message to `to` gets. */
  resolve(to: string): Required<Omit<CallbackMode, 'errorCode'>> & { errorCode: number | undefined } {
    const mode = this.merged(to);
    return {
      duplicate: mode.duplicate ?? false,
      shuffle: mode.shuffle ?? false,
      delayMs: mode.delayMs ?? 0,
      outcome: mode.outcome ?? 'delivered',
      errorCode: mode.errorCode,
      enabled: mode.enabled ?? true,
    };
  }
}
