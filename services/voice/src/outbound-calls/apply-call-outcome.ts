import {
  addJob,
  applyOutboundCallOutcome,
  type Db,
  findOutboundCall,
  type JobData,
  outboundStatusOf,
  type Queues,
} from '@series-killer/shared';

/** A status callback came before the placing run recorded the call's SID: retried until it has. */
export class OutcomeBeforePlacementError extends Error {
  constructor(callSid: string) {
    super(`call ${callSid} is not recorded on its outbound call yet`);
    this.name = 'OutcomeBeforePlacementError';
  }
}

export interface ApplyCallOutcomeDeps {
  db: Db;
  queues: Queues;
  now(): Date;
  /** `OUTBOUND_CALL_RETRIES`: further attempts after busy, no-answer or failed. */
  retries: number;
  /** `OUTBOUND_CALL_RETRY_AFTER` in milliseconds. */
  retryAfterMs: number;
}

export type ApplyCallOutcomeResult =
  | { outcome: 'applied'; status: string; attempt: number }
  | { outcome: 'skipped'; reason: string };

/**
 * Applies what Twilio reported of a placed outbound call: answered by a person or a machine,
 * or its end. Busy, no-answer and failed schedule the next attempt after the retry delay while
 * retries remain (its placing job waits in the queue; the placer moves it into the calling
 * hours). Re-running is harmless: the outcome moves forward only, and the next attempt's job id
 * is its business key.
 */
export async function applyCallOutcome(
  deps: ApplyCallOutcomeDeps,
  data: JobData<'outbound-call-outcome'>,
): Promise<ApplyCallOutcomeResult> {
  const status = outboundStatusOf(data.callStatus, data.answeredBy);
  if (!status) return { outcome: 'skipped', reason: `${data.callStatus} changes nothing` };
  const before = await findOutboundCall(deps.db, data.outboundCallId);
  if (!before) return { outcome: 'skipped', reason: 'the call no longer exists' };
  if (before.call_sid === null && before.status === 'placing') throw new OutcomeBeforePlacementError(data.callSid);

  const now = deps.now();
  const after = await applyOutboundCallOutcome(deps.db, {
    id: data.outboundCallId,
    callSid: data.callSid,
    status,
    answeredBy: data.answeredBy,
    retries: deps.retries,
    retryAt: new Date(now.getTime() + deps.retryAfterMs),
    now,
  });
  if (!after) return { outcome: 'skipped', reason: 'the call no longer exists' };
  if (after.status === 'scheduled')
    await addJob(
      deps.queues,
      'place-call',
      { outboundCallId: after.id, attempt: after.attempt },
      { delay: Math.max(0, after.not_before.getTime() - now.getTime()) },
    );
  return { outcome: 'applied', status: after.status, attempt: after.attempt };
}
