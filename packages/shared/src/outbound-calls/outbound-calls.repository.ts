import { type Selectable, sql } from 'kysely';
import type { Db } from '../db/create-db.ts';
import type { OutboundCalls } from '../db/database.types.ts';
import type { CallStatus } from '../queues/job-catalogue.ts';

/**
 * Where an outbound call stands. An attempt moves scheduled → placing → placed → answered, then
 * to an outcome; a retry after busy / no-answer / failed starts the next attempt at `scheduled`.
 */
export const OUTBOUND_CALL_STATUSES = [
  'scheduled',
  'placing',
  'placed',
  'answered',
  'voicemail',
  'completed',
  'busy',
  'no-answer',
  'failed',
  'canceled',
  'skipped',
] as const;
export type OutboundCallStatus = (typeof OUTBOUND_CALL_STATUSES)[number];

export type OutboundCallRow = Selectable<OutboundCalls>;

/** A call asked for through the API. */
export interface NewOutboundCall {
  userId: string;
  phoneNumber: string;
  purpose: string | null;
  idempotencyKey: string | null;
  notBefore: Date;
}

/**
 * Records a call to place, once per idempotency key: the same key answers the call it made
 * first (`created` false), whatever the rest of the request says.
 */
export async function scheduleOutboundCall(
  db: Db,
  call: NewOutboundCall,
): Promise<{ call: OutboundCallRow; created: boolean }> {
  const inserted = await db
    .insertInto('outbound_calls')
    .values({
      user_id: call.userId,
      phone_number: call.phoneNumber,
      purpose: call.purpose,
      idempotency_key: call.idempotencyKey,
      not_before: call.notBefore,
    })
    .onConflict((oc) => oc.column('idempotency_key').doNothing())
    .returningAll()
    .executeTakeFirst();
  if (inserted) return { call: inserted, created: true };
  const existing = await db
    .selectFrom('outbound_calls')
    .selectAll()
    .where('idempotency_key', '=', call.idempotencyKey)
    .executeTakeFirstOrThrow();
  return { call: existing, created: false };
}

export async function findOutboundCall(db: Db, id: string): Promise<OutboundCallRow | undefined> {
  return db.selectFrom('outbound_calls').selectAll().where('id', '=', id).executeTakeFirst();
}

/** The latest calls asked for, newest first. */
export async function listOutboundCalls(db: Db, limit: number): Promise<OutboundCallRow[]> {
  return db.selectFrom('outbound_calls').selectAll().orderBy('created_at', 'desc').limit(limit).execute();
}

/** Cancels a call nobody has begun to place; undefined when it is not `scheduled` (or does not exist). */
export async function cancelOutboundCall(db: Db, id: string, now: Date): Promise<OutboundCallRow | undefined> {
  return db
    .updateTable('outbound_calls')
    .set({ status: 'canceled', finished_at: now })
    .where('id', '=', id)
    .where('status', '=', 'scheduled')
    .returningAll()
    .executeTakeFirst();
}

/** What claiming an attempt found. */
export type OutboundCallClaim =
  /** Ours to place. `since`: when an earlier run may have begun placing it (set when `resumed`). */
  | { claimed: true; call: OutboundCallRow; resumed: boolean; since: Date }
  /** Another run holds a live lease until `until`. */
  | { claimed: false; leasedUntil: Date }
  /** Not this attempt's to place any more (canceled, placed, a later attempt, erased). */
  | { claimed: false; status: string | undefined };

/**
 * Claims an attempt for placing, in one conditional UPDATE: a `scheduled` attempt, or one
 * whose placing run let its lease expire (it may have crashed after Twilio accepted the call,
 * so the new owner is told to look at Twilio first, for calls since the first lease).
 */
export async function claimOutboundCall(
  db: Db,
  claim: { id: string; attempt: number; owner: string; leaseMs: number; now: Date },
): Promise<OutboundCallClaim> {
  const expires = new Date(claim.now.getTime() + claim.leaseMs);
  const { rows } = await sql<OutboundCallRow & { prior_status: string }>`
    with prior as (
      select id, status, lease_taken_at from public.outbound_calls
      where id = ${claim.id} and attempt = ${claim.attempt}
        and (status = 'scheduled' or (status = 'placing' and lease_expires_at <= ${claim.now}))
      for update
    )
    update public.outbound_calls c set
      status = 'placing',
      lease_owner = ${claim.owner},
      lease_expires_at = ${expires},
      lease_taken_at = case when prior.status = 'placing' then prior.lease_taken_at else ${claim.now} end
    from prior
    where c.id = prior.id
    returning c.*, prior.status as prior_status
  `.execute(db);
  const [row] = rows;
  if (row) {
    const { prior_status, ...call } = row;
    return { claimed: true, call, resumed: prior_status === 'placing', since: call.lease_taken_at ?? claim.now };
  }
  const current = await findOutboundCall(db, claim.id);
  if (current?.status === 'placing' && current.attempt === claim.attempt && current.lease_expires_at)
    return { claimed: false, leasedUntil: current.lease_expires_at };
  return { claimed: false, status: current?.attempt === claim.attempt ? current.status : undefined };
}

/**
 * Records the call Twilio accepted for a claimed attempt; false when the attempt holds another
 * call already (a run that took over after our lease expired placed or adopted one).
 */
export async function recordPlacedCall(
  db: Db,
  placed: { id: string; attempt: number; callSid: string; now: Date },
): Promise<boolean> {
  const row = await db
    .updateTable('outbound_calls')
    .set({ status: 'placed', call_sid: placed.callSid, placed_at: placed.now, lease_expires_at: null })
    .where('id', '=', placed.id)
    .where('attempt', '=', placed.attempt)
    .where('status', '=', 'placing')
    .where('call_sid', 'is', null)
    .returning('id')
    .executeTakeFirst();
  return row !== undefined;
}

/**
 * Extends a run's lease just before it calls Twilio; false when the run lost it (it stalled past
 * the expiry and another run took the attempt over), and must then not call.
 */
export async function renewClaim(
  db: Db,
  claim: { id: string; attempt: number; owner: string; leaseMs: number; now: Date },
): Promise<boolean> {
  const row = await db
    .updateTable('outbound_calls')
    .set({ lease_expires_at: new Date(claim.now.getTime() + claim.leaseMs) })
    .where('id', '=', claim.id)
    .where('attempt', '=', claim.attempt)
    .where('status', '=', 'placing')
    .where('lease_owner', '=', claim.owner)
    .where('lease_expires_at', '>', claim.now)
    .returning('id')
    .executeTakeFirst();
  return row !== undefined;
}

/** Hands back a claim whose run knows Twilio placed no call (Twilio refused the request). */
export async function releaseClaim(db: Db, claim: { id: string; attempt: number; owner: string }): Promise<void> {
  await db
    .updateTable('outbound_calls')
    .set({ status: 'scheduled', lease_owner: null, lease_expires_at: null, lease_taken_at: null })
    .where('id', '=', claim.id)
    .where('attempt', '=', claim.attempt)
    .where('status', '=', 'placing')
    .where('lease_owner', '=', claim.owner)
    .execute();
}

/** Of these Call SIDs, those no outbound call holds, now or for an earlier attempt. */
export async function unclaimedCallSids(db: Db, callSids: string[]): Promise<string[]> {
  if (callSids.length === 0) return [];
  const { rows } = await sql<{ sid: string }>`
    select sid from unnest(${callSids}::text[]) as sid
    where not exists (select 1 from public.outbound_calls c where c.call_sid = sid or sid = any(c.earlier_call_sids))
  `.execute(db);
  const free = new Set(rows.map((row) => row.sid));
  return callSids.filter((sid) => free.has(sid));
}

/** Ends an attempt that will not be placed (not callable any more, or refused by Twilio for good). */
export async function endUnplacedCall(
  db: Db,
  end: { id: string; attempt: number; status: 'skipped' | 'failed'; reason: string; now: Date },
): Promise<boolean> {
  const row = await db
    .updateTable('outbound_calls')
    .set({ status: end.status, last_error: end.reason, finished_at: end.now, lease_expires_at: null })
    .where('id', '=', end.id)
    .where('attempt', '=', end.attempt)
    .where('status', 'in', ['scheduled', 'placing'])
    .returning('id')
    .executeTakeFirst();
  return row !== undefined;
}

/** What a placed call's status means for the outbound call; undefined: nothing (it is still ringing). */
export function outboundStatusOf(callStatus: CallStatus, answeredBy: string | null): OutboundCallStatus | undefined {
  switch (callStatus) {
    case 'in-progress':
      return answeredBy?.startsWith('machine') || answeredBy === 'fax' ? 'voicemail' : 'answered';
    case 'completed':
    case 'busy':
    case 'no-answer':
    case 'failed':
    case 'canceled':
      return callStatus;
    default:
      return undefined;
  }
}

/** Outcomes after which another attempt is made while retries remain. */
const RETRIED: readonly OutboundCallStatus[] = ['busy', 'no-answer', 'failed'];

/**
 * Applies what Twilio reported of the attempt that placed `callSid`, forward only (by
 * outbound_call_status_rank: the first outcome wins, a voicemail stays a voicemail). Busy,
 * no-answer and failed start the next attempt at `retryAt` while `retries` remain. Returns the
 * row as it stands after.
 */
export async function applyOutboundCallOutcome(
  db: Db,
  outcome: {
    id: string;
    callSid: string;
    status: OutboundCallStatus;
    answeredBy: string | null;
    retries: number;
    retryAt: Date;
    now: Date;
  },
): Promise<OutboundCallRow | undefined> {
  const retryable = RETRIED.includes(outcome.status);
  await sql`
    update public.outbound_calls c set
      status = case when r.retrying then 'scheduled' else ${outcome.status} end,
      attempt = case when r.retrying then c.attempt + 1 else c.attempt end,
      not_before = case when r.retrying then ${outcome.retryAt} else c.not_before end,
      call_sid = case when r.retrying then null else c.call_sid end,
      earlier_call_sids = case when r.retrying then c.earlier_call_sids || c.call_sid else c.earlier_call_sids end,
      lease_owner = case when r.retrying then null else c.lease_owner end,
      lease_taken_at = case when r.retrying then null else c.lease_taken_at end,
      answered_by = coalesce(${outcome.answeredBy}, c.answered_by),
      last_error = case when ${retryable} then ${outcome.status} else c.last_error end,
      finished_at = case when r.retrying or ${outcome.status} = 'answered' then c.finished_at else ${outcome.now} end
    from (
      select id, ${retryable} and attempt <= ${outcome.retries} as retrying from public.outbound_calls where id = ${outcome.id}
    ) r
    where c.id = r.id and c.call_sid = ${outcome.callSid}
      and public.outbound_call_status_rank(c.status) < public.outbound_call_status_rank(${outcome.status})
  `.execute(db);
  return findOutboundCall(db, outcome.id);
}
