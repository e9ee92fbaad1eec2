import { ModesByNumber } from '../../switches/modes-by-number.ts';
import type { CallerLine } from '../drivers/conversation-relay-call.ts';
import type { AnsweredBy } from './call-store.ts';

/** How the sandbox plays a call it places: who answers, after how long, for how long. */
export interface CallMode {
  /** `answered`, or the call ends `busy`, `no-answer` or `failed` after ringing. Default 'answered'. */
  outcome?: 'answered' | 'busy' | 'no-answer' | 'failed';
  /** What answering-machine detection reports, for calls that ask for it. Default 'human'. */
  answeredBy?: AnsweredBy;
  /** How long the phone rings before the outcome, in ms. Default 0. */
  ringMs?: number;
  /** How long an answered call whose TwiML holds no live session lasts, in ms. Default 0. */
  talkMs?: number;
  /**
   * What the person who answers says when the call's TwiML connects a ConversationRelay
   * session, as in `POST /sandbox/calls`. Default none: they hear the greeting and hang up.
   */
  lines?: CallerLine[];
}

/** The global call mode plus rules for single `To` numbers, which override it field by field. */
export class CallModes extends ModesByNumber<CallMode> {
  /** The mode a new call to `to` gets. */
  resolve(to: string): Required<CallMode> {
    const mode = this.merged(to);
    return {
      outcome: mode.outcome ?? 'answered',
      answeredBy: mode.answeredBy ?? 'human',
      ringMs: mode.ringMs ?? 0,
      talkMs: mode.talkMs ?? 0,
      lines: mode.lines ?? [],
    };
  }
}
