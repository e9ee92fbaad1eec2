import { type CallStatus, callerPhoneNumber, type Db } from '@series-killer/shared';
import { upsertCallStatus } from './call-history.repository.ts';
import { recordSkippedCall } from './skipped-calls.repository.ts';

/** What a `call-started` or `call-status` job says about a call. */
export interface CallStatusEvent {
  callSid: string;
  callStatus: CallStatus;
  from: string;
  to: string;
  /** Twilio's `Direction`: `inbound`, `outbound-api` or `outbound-dial`. */
  direction: string;
  /** Seconds; Twilio sends it once the call has ended. */
  callDuration: number | null;
  /** Twilio's `SequenceNumber`, counting up over the call's callbacks; null for `call-started`. */
  sequenceNumber: number | null;
}

export type ApplyCallStatusResult =
  | { outcome: 'applied' | 'stale'; status: CallStatus }
  | { outcome: 'skipped'; reason: string };

/** Why a call without a phone number on the user's side is kept out of `call_history`. */
export const NOT_A_PHONE_CALL = 'caller is not a phone number';

/**
 * The user's side of the call: the caller of an inbound call, the callee of an outbound one.
 * Undefined when that side is not a phone number (a withheld caller ID, `client:…`, `sip:…`).
 */
export function userPhoneOf(event: Pick<CallStatusEvent, 'from' | 'to' | 'direction'>): string | undefined {
  return callerPhoneNumber(event.direction.startsWith('outbound') ? event.to : event.from);
}

/**
 * Records a call status callback on `call_history`. Duplicates and callbacks that arrive
 * after a later status (by rank, then by sequence number) are no-ops, so any delivery order ends in the same row. A call whose
 * user side is not a phone number is noted as skipped instead, so that its transcripts stop
 * waiting for a row that will never exist.
 */
export async function applyCallStatus(db: Db, event: CallStatusEvent): Promise<ApplyCallStatusResult> {
  const phoneNumber = userPhoneOf(event);
  if (!phoneNumber) {
    await recordSkippedCall(db, event.callSid, NOT_A_PHONE_CALL);
    return { outcome: 'skipped', reason: NOT_A_PHONE_CALL };
  }
  const changed = await upsertCallStatus(db, {
    callSid: event.callSid,
    phoneNumber,
    status: event.callStatus,
    sequence: event.sequenceNumber,
    duration: event.callStatus === 'completed' ? event.callDuration : null,
  });
  return { outcome: changed ? 'applied' : 'stale', status: event.callStatus };
}
