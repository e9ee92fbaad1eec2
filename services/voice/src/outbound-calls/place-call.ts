import { randomUUID } from 'node:crypto';
import {
  addJob,
  type CallingHours,
  callRefusal,
  claimOutboundCall,
  type Db,
  endUnplacedCall,
  findCallee,
  findOutboundCall,
  type JobData,
  nextCallingTime,
  type OutboundCallRow,
  outboundCallUrls,
  type Queues,
  recordPlacedCall,
  releaseClaim,
  renewClaim,
  unclaimedCallSids,
} from '@series-killer/shared';
import { UnrecoverableError } from 'bullmq';
import type { CallPlacer } from './call-placer.ts';

/** Twilio's answers that refuse the number itself: placing again would fail the same way. */
const NUMBER_REFUSALS: Record<number, string> = {
  21214: 'the number cannot be reached',
  21215: 'the account may not call that country',
  21216: 'the account may not call that number',
  21217: 'the number is not valid',
};

/** Margin for the clock difference with Twilio when looking for a call an earlier run placed. */
const CLOCK_SKEW_MS = 60_000;

/** Twilio could not be reached or did not place the call: retried. */
export class CallPlacementError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'CallPlacementError';
  }
}

export interface PlaceCallSettings {
  hours: CallingHours;
  /** The calling hours' zone for users whose own is unknown. */
  defaultTimeZone: string;
  /** The ingress's public URL, where the call's TwiML and status callbacks go. */
  publicBaseUrl: string;
  /** `TWILIO_CALLBACK_OVERRIDES`, without `#`. */
  callbackOverrides: string;
  /** How long a run holds its claim, in milliseconds: well beyond a Twilio request's timeout. */
  leaseMs: number;
}

export interface PlaceCallDeps {
  db: Db;
  placer: CallPlacer;
  queues: Queues;
  now(): Date;
  settings: PlaceCallSettings;
  /** A new lease owner per run. Default: a random UUID. */
  newOwner?: () => string;
}

export type PlaceCallResult =
  | { outcome: 'placed'; callSid: string; adopted: boolean }
  | { outcome: 'skipped'; reason: string }
  /** Not now: outside the calling hours, or another run holds the claim. Not a failed attempt. */
  | { outcome: 'wait'; until: Date; reason: string };

/**
 * Places one attempt of an outbound call at most once.
 *
 * The attempt is re-read and its user re-checked (STOP, verified, still theirs) and the calling
 * hours too, then claimed under a lease in one conditional UPDATE before Twilio is called. A
 * live lease of another run means wait; an expired one means an earlier run may have crashed
 * after Twilio accepted its call, so Twilio's calls to the number since that lease are looked
 * at first and one is adopted rather than a second placed. Not covered: a crash in the instant
 * between Twilio accepting and the call appearing in Twilio's list.
 */
export async function placeCall(deps: PlaceCallDeps, data: JobData<'place-call'>): Promise<PlaceCallResult> {
  const { db, settings } = deps;
  const now = deps.now();
  const call = await findOutboundCall(db, data.outboundCallId);
  if (!call) return { outcome: 'skipped', reason: 'the call no longer exists' };
  if (call.attempt !== data.attempt) return { outcome: 'skipped', reason: `attempt ${call.attempt} supersedes it` };
  if (call.status !== 'scheduled' && call.status !== 'placing')
    return { outcome: 'skipped', reason: `the call is ${call.status}` };

  const callee = await findCallee(db, { phoneNumber: call.phone_number });
  const refusal = callee?.userId === call.user_id ? callRefusal(callee) : 'the number is no longer linked to the user';
  if (refusal) {
    await endUnplacedCall(db, { id: call.id, attempt: call.attempt, status: 'skipped', reason: refusal, now });
    return { outcome: 'skipped', reason: refusal };
  }
  const zone = callee?.timeZone ?? settings.defaultTimeZone;
  const due = nextCallingTime(new Date(Math.max(call.not_before.getTime(), now.getTime())), settings.hours, zone);
  if (due > now) {
    const early = due.getTime() === call.not_before.getTime();
    return { outcome: 'wait', until: due, reason: early ? 'not due yet' : 'outside the calling hours' };
  }

  const owner = (deps.newOwner ?? randomUUID)();
  const claim = await claimOutboundCall(db, {
    id: call.id,
    attempt: call.attempt,
    owner,
    leaseMs: settings.leaseMs,
    now,
  });
  if (!claim.claimed) {
    if ('leasedUntil' in claim)
      return { outcome: 'wait', until: claim.leasedUntil, reason: 'another run is placing it' };
    return { outcome: 'skipped', reason: `the call is ${claim.status ?? 'gone'}` };
  }

  if (claim.resumed) {
    const since = new Date(claim.since.getTime() - CLOCK_SKEW_MS);
    for (const callSid of await unclaimedCallSids(db, await deps.placer.findCalls(call.phone_number, since))) {
      if (await recordPlacedCall(db, { id: call.id, attempt: call.attempt, callSid, now: deps.now() })) {
        await recordCallStarted(deps, call, callSid);
        return { outcome: 'placed', callSid, adopted: true };
      }
    }
  }

  const lease = { id: call.id, attempt: call.attempt, owner, leaseMs: settings.leaseMs, now: deps.now() };
  if (!(await renewClaim(db, lease)))
    return { outcome: 'skipped', reason: 'the claim expired before Twilio was called' };
  // A resumed claim keeps its lease on a refusal: the earlier run's call may yet show at Twilio.
  const callSid = await dial(deps, call, claim.resumed ? undefined : owner);
  if (!(await recordPlacedCall(db, { id: call.id, attempt: call.attempt, callSid, now: deps.now() }))) {
    // Our lease ran out while Twilio answered and another run placed the attempt: ours goes.
    await deps.placer.hangUp(callSid);
    return { outcome: 'skipped', reason: 'another run placed the call first' };
  }
  await recordCallStarted(deps, call, callSid);
  return { outcome: 'placed', callSid, adopted: false };
}

/**
 * Asks Twilio to place the call. A refusal of the number ends the attempt for good; any other
 * 4xx answer (a rate limit, the account) hands the claim back, since Twilio made no call; no
 * answer or a 5xx keeps it, so the retry looks at Twilio first once the lease runs out.
 */
async function dial(deps: PlaceCallDeps, call: OutboundCallRow, owner: string | undefined): Promise<string> {
  const urls = outboundCallUrls(deps.settings.publicBaseUrl, deps.settings.callbackOverrides, call.id);
  try {
    return await deps.placer.dial({ to: call.phone_number, ...urls });
  } catch (error) {
    const { status, code } = error as { status?: unknown; code?: unknown };
    const reason = typeof code === 'number' ? NUMBER_REFUSALS[code] : undefined;
    if (reason) {
      const now = deps.now();
      await endUnplacedCall(deps.db, { id: call.id, attempt: call.attempt, status: 'failed', reason, now });
      throw new UnrecoverableError(`Twilio refused the call: ${reason}`);
    }
    if (owner && typeof status === 'number' && status >= 400 && status < 500)
      await releaseClaim(deps.db, { id: call.id, attempt: call.attempt, owner });
    throw new CallPlacementError('Twilio did not place the call', { cause: error });
  }
}

/** Opens the call's `call_history` row (status `initiated`) through the summarizer, which owns it. */
async function recordCallStarted(deps: PlaceCallDeps, call: OutboundCallRow, callSid: string): Promise<void> {
  await addJob(deps.queues, 'call-started', {
    callSid,
    from: deps.placer.from,
    to: call.phone_number,
    direction: 'outbound-api',
    callStatus: 'initiated',
    receivedAt: deps.now().toISOString(),
  });
}
