import { type CallStatus, type Db, maskPhone, toE164 } from '@series-killer/shared';
import { UnrecoverableError } from 'bullmq';
import { upsertCallStatus } from './call-history.repository.ts';

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
}

export interface ApplyCallStatusResult {
  outcome: 'applied' | 'stale';
  status: CallStatus;
}

/** The user's side of the call: the caller of an inbound call, the callee of an outbound one. */
export function userPhoneOf(event: Pick<CallStatusEvent, 'from' | 'to' | 'direction'>): string {
  const field = event.direction.startsWith('outbound') ? 'To' : 'From';
  const raw = field === 'To' ? event.to : event.from;
  const phone = toE164(raw);
  // The value is masked: failure reasons end up in logs and the dashboard.
  if (!phone)
    throw new UnrecoverableError(
      `${field} "${maskPhone(raw)}" of the ${event.direction} call is not an E.164 phone number`,
    );
  return phone;
}

/**
 * Records a call status callback on `call_history`. Duplicates and callbacks that arrive
 * after a later status are no-ops, so any delivery order ends in the same row.
 */
export async function applyCallStatus(db: Db, event: CallStatusEvent): Promise<ApplyCallStatusResult> {
  const changed = await upsertCallStatus(db, {
    callSid: event.callSid,
    phoneNumber: userPhoneOf(event),
    status: event.callStatus,
    duration: event.callStatus === 'completed' ? event.callDuration : null,
  });
  return { outcome: changed ? 'applied' : 'stale', status: event.callStatus };
}
