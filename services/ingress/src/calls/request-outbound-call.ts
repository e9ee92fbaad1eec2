import {
  type CalleeLookup,
  type CallingHours,
  callRefusal,
  type Db,
  findCallee,
  nextCallingTime,
  scheduleOutboundCall,
  wasErased,
} from '@series-killer/shared';
import type { OutboundCallRequest } from './outbound-call-request.ts';

/** No user with a linked number matches the request. */
export class UnknownCalleeError extends Error {
  constructor() {
    super('no user with a linked phone number matches');
    this.name = 'UnknownCalleeError';
  }
}

/** The user must not be called: STOP, not verified, erased; or the idempotency key names another call. */
export class NotCallableError extends Error {
  constructor(reason: string) {
    super(reason);
    this.name = 'NotCallableError';
  }
}

export interface RequestOutboundCallDeps {
  db: Db;
  hours: CallingHours;
  /** The zone of the calling hours for users whose own zone is unknown. */
  defaultTimeZone: string;
  now: Date;
}

/** A recorded call and when its first attempt may ring. */
export interface RequestedCall {
  id: string;
  attempt: number;
  status: string;
  notBefore: Date;
}

/**
 * Records an outbound call for a callable user, due at the first moment inside the calling
 * hours (in the user's zone) at or after the asked-for time. The same idempotency key answers
 * the call it recorded first.
 */
export async function requestOutboundCall(
  deps: RequestOutboundCallDeps,
  request: OutboundCallRequest,
): Promise<RequestedCall> {
  const lookup: CalleeLookup = request.userId ? { userId: request.userId } : { phoneNumber: request.phone ?? '' };
  const callee = await findCallee(deps.db, lookup);
  if (!callee) {
    if (request.userId && (await wasErased(deps.db, request.userId))) throw new NotCallableError('the user was erased');
    throw new UnknownCalleeError();
  }
  const refusal = callRefusal(callee);
  if (refusal) throw new NotCallableError(refusal);

  const asked = request.at && request.at > deps.now ? request.at : deps.now;
  const notBefore = nextCallingTime(asked, deps.hours, callee.timeZone ?? deps.defaultTimeZone);
  const { call } = await scheduleOutboundCall(deps.db, {
    userId: callee.userId,
    phoneNumber: callee.phoneNumber,
    purpose: request.purpose ?? null,
    idempotencyKey: request.idempotencyKey ?? null,
    notBefore,
  });
  if (call.user_id !== callee.userId) throw new NotCallableError('idempotencyKey already names a call to another user');
  return { id: call.id, attempt: call.attempt, status: call.status, notBefore: call.not_before };
}
