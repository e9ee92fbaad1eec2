import type { DialogueTurn, SessionEnd } from '../drivers/conversation-relay-call.ts';
/** Twilio's call statuses. */
export type CallStatus =
  | 'queued'
  | 'initiated'
  | 'ringing'
  | 'in-progress'
  | 'completed'
  | 'busy'
  | 'failed'
  | 'no-answer'
  | 'canceled';

/** What answering-machine detection reports in `AnsweredBy`. */
export type AnsweredBy =
  | 'human'
  | 'machine_start'
  | 'machine_end_beep'
  | 'machine_end_silence'
  | 'machine_end_other'
  | 'fax'
  | 'unknown';

/** The progress events a call's `StatusCallbackEvent` may ask for. */
export type CallProgressEvent = 'initiated' | 'ringing' | 'answered' | 'completed';

/** A call placed through the sandbox's Calls API. Times are ms since the epoch. */
/** What an answered call's ConversationRelay session sounded like. */
export interface PlayedRelaySession {
  sessionId: string;
  dialogue: DialogueTurn[];
  endedBy: SessionEnd;
  error: string | null;
}

export interface SandboxCall {
  sid: string;
  accountSid: string;
  to: string;
  from: string;
  status: CallStatus;
  /** Where the TwiML is fetched when the call is answered, or null when `Twiml` was given. */
  url: string | null;
  twiml: string | null;
  statusCallback: string | null;
  statusCallbackEvents: CallProgressEvent[];
  /** `Enable` or `DetectMessageEnd`; null: no answering-machine detection. */
  machineDetection: 'Enable' | 'DetectMessageEnd' | null;
  /** Where asynchronous detection reports `AnsweredBy`; null: detection blocks the TwiML request. */
  asyncAmdStatusCallback: string | null;
  /** Seconds the phone rings before the call is `no-answer`. */
  timeoutSeconds: number;
  answeredBy: AnsweredBy | null;
  dateCreated: number;
  dateUpdated: number;
  startTime: number | null;
  endTime: number | null;
  durationSeconds: number | null;
  /** Status callbacks sent so far: the next one's `SequenceNumber`. */
  callbacksSent: number;
  /** The ConversationRelay session its TwiML connected, once played; null when none. */
  relaySession: PlayedRelaySession | null;
}

const FINAL: readonly CallStatus[] = ['completed', 'busy', 'failed', 'no-answer', 'canceled'];

export function isFinalCallStatus(status: CallStatus): boolean {
  return FINAL.includes(status);
}

/** Calls by SID in creation order, keeping the newest `capacity`. */
export class CallStore {
  readonly #capacity: number;
  #calls = new Map<string, SandboxCall>();

  constructor(capacity: number) {
    this.#capacity = capacity;
  }

  add(call: SandboxCall): void {
    this.#calls.set(call.sid, call);
    if (this.#calls.size <= this.#capacity) return;
    const oldest = this.#calls.keys().next().value;
    if (oldest !== undefined) this.#calls.delete(oldest);
  }

  get(sid: string): SandboxCall | undefined {
    return this.#calls.get(sid);
  }

  /** Oldest first. */
  all(): SandboxCall[] {
    return [...this.#calls.values()];
  }

  /** Moves a call to `status` unless it has already ended; answers whether it moved. */
  advance(sid: string, status: CallStatus, at: number): boolean {
    const call = this.#calls.get(sid);
    if (!call || isFinalCallStatus(call.status)) return false;
    call.status = status;
    call.dateUpdated = at;
    if (status === 'in-progress') call.startTime = at;
    if (isFinalCallStatus(status)) {
      call.endTime = at;
      call.durationSeconds = call.startTime === null ? 0 : Math.round((at - call.startTime) / 1000);
    }
    return true;
  }

  clear(): void {
    this.#calls.clear();
  }
}
