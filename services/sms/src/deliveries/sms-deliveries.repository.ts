import type { Db } from '@series-killer/shared';
import { type RawBuilder, sql } from 'kysely';
import { FINAL_DELIVERY_STATUSES } from './delivery-status.ts';

/** A send about to call Twilio. */
export interface DeliveryClaim {
  sendKey: string;
  to: string;
  /** The sender number or Messaging Service SID. */
  sender: string;
  bodySha256: string;
  userId: string | null;
  onboardingMessageId?: number;
}

/** The delivery record a claim found or made. */
export interface ClaimedDelivery {
  id: number;
  /** Set once Twilio accepted this send (possibly by an earlier attempt). */
  messageSid: string | null;
  status: string | null;
  queuedAt: Date;
  /** 1 for the first attempt; more when an earlier attempt may have reached Twilio. */
  sendAttempts: number;
  /** Null when this claim holds the lease; else how long another attempt's lease still runs, in ms. */
  leasedForMs: number | null;
}

/** Who claims a send, and for how long. */
export interface DeliveryLease {
  /** Unique to one attempt. */
  owner: string;
  /** How long no other attempt may call Twilio for the send, in ms. */
  ms: number;
}

const leaseExpiry = (ms: number) => sql<Date>`now() + make_interval(secs => ${ms / 1000})`;

/**
 * Claims the send's delivery record (one row per send key) before Twilio is called: takes its
 * lease, in one conditional statement, unless the send is done or another attempt's lease is
 * live. Then the record as it stands says why: a SID, a final status, or the live lease.
 */
export async function claimDelivery(db: Db, claim: DeliveryClaim, lease: DeliveryLease): Promise<ClaimedDelivery> {
  const taken = await db
    .insertInto('sms_deliveries')
    .values({
      send_key: claim.sendKey,
      to_number: claim.to,
      sender: claim.sender,
      body_sha256: claim.bodySha256,
      user_id: claim.userId,
      onboarding_message_id: claim.onboardingMessageId ?? null,
      lease_owner: lease.owner,
      lease_expires_at: leaseExpiry(lease.ms),
    })
    .onConflict((oc) =>
      oc
        .column('send_key')
        .doUpdateSet({
          send_attempts: sql<number>`sms_deliveries.send_attempts + 1`,
          lease_owner: sql<string>`excluded.lease_owner`,
          lease_expires_at: sql<Date>`excluded.lease_expires_at`,
        })
        .where('sms_deliveries.message_sid', 'is', null)
        .where('sms_deliveries.status', 'is', null)
        .where((eb) =>
          eb.or([
            eb('sms_deliveries.lease_expires_at', 'is', null),
            eb('sms_deliveries.lease_expires_at', '<=', sql<Date>`now()`),
          ]),
        ),
    )
    .returning(['id', 'message_sid', 'status', 'queued_at', 'send_attempts'])
    .executeTakeFirst();
  if (taken) return { ...claimedDelivery(taken), leasedForMs: null };

  const held = await db
    .selectFrom('sms_deliveries')
    .select([
      'id',
      'message_sid',
      'status',
      'queued_at',
      'send_attempts',
      sql<number>`greatest(0, extract(epoch from lease_expires_at - now()) * 1000)::float8`.as('leased_for_ms'),
    ])
    .where('send_key', '=', claim.sendKey)
    .executeTakeFirstOrThrow();
  return { ...claimedDelivery(held), leasedForMs: Number(held.leased_for_ms ?? 0) };
}

function claimedDelivery(row: {
  id: number;
  message_sid: string | null;
  status: string | null;
  queued_at: Date;
  send_attempts: number;
}): Omit<ClaimedDelivery, 'leasedForMs'> {
  return {
    id: row.id,
    messageSid: row.message_sid,
    status: row.status,
    queuedAt: row.queued_at,
    sendAttempts: row.send_attempts,
  };
}

/**
 * Extends the lease by `lease.ms` from now if `lease.owner` still holds it on a send not yet
 * done; false when another attempt took it over (this one must not call Twilio).
 */
export async function renewDeliveryLease(db: Db, deliveryId: number, lease: DeliveryLease): Promise<boolean> {
  const renewed = await db
    .updateTable('sms_deliveries')
    .set({ lease_expires_at: leaseExpiry(lease.ms) })
    .where('id', '=', deliveryId)
    .where('lease_owner', '=', lease.owner)
    .where('message_sid', 'is', null)
    .where('status', 'is', null)
    .executeTakeFirst();
  return renewed.numUpdatedRows === 1n;
}

/** Gives up `owner`'s lease (if it still holds it), so the next attempt need not wait for it to run out. */
export async function releaseDeliveryLease(db: Db, deliveryId: number, owner: string): Promise<void> {
  await db
    .updateTable('sms_deliveries')
    .set({ lease_owner: null, lease_expires_at: null })
    .where('id', '=', deliveryId)
    .where('lease_owner', '=', owner)
    .execute();
}

/**
 * Gives the claimed record the SID Twilio accepted and ends its lease, unless another record
 * holds that SID already (then returns false: the message is that send's). `reconcileAfterMs`
 * schedules the first check with Twilio should no final callback arrive.
 */
export async function recordMessageSid(
  db: Db,
  deliveryId: number,
  messageSid: string,
  reconcileAfterMs: number,
): Promise<boolean> {
  const { rows } = await sql<{ id: number }>`
    update public.sms_deliveries set
      message_sid = ${messageSid},
      status = coalesce(status, 'accepted'),
      accepted_at = coalesce(accepted_at, now()),
      next_reconcile_at = now() + make_interval(secs => ${reconcileAfterMs / 1000}),
      lease_owner = null,
      lease_expires_at = null
    where id = ${deliveryId} and message_sid is null
      and not exists (select 1 from public.sms_deliveries taken where taken.message_sid = ${messageSid})
    returning id
  `.execute(db);
  return rows.length === 1;
}

/** Of these SIDs, the ones no delivery record holds yet. */
export async function unclaimedMessageSids(db: Db, messageSids: string[]): Promise<string[]> {
  if (messageSids.length === 0) return [];
  const taken = await db
    .selectFrom('sms_deliveries')
    .select(['message_sid'])
    .where('message_sid', 'in', messageSids)
    .execute();
  const claimed = new Set(taken.map((row) => row.message_sid));
  return messageSids.filter((sid) => !claimed.has(sid));
}

/** A delivery status that moved, for the metrics and the projection. */
export interface DeliveryMove {
  messageSid: string;
  status: string;
}

/**
 * The CTE `pending`: marks applied, and returns, every pending status event of these SIDs
 * whose delivery is recorded (events of inbound messages are never applied to a delivery).
 */
export function pendingEventsApplied(messageSids: readonly string[]): RawBuilder<unknown> {
  return sql`
    pending as (
      update public.sms_status_events e set applied_at = now(), user_id = coalesce(e.user_id, d.user_id)
      from public.sms_deliveries d
      where d.message_sid = e.message_sid and e.message_sid = any(${messageSids as string[]}::text[])
        and e.applied_at is null and e.status not in ('receiving', 'received')
      returning e.message_sid, e.status, e.error_code, e.received_at
    )`;
}

/**
 * The CTEs `summary`, `moved` and `touched`: move each delivery to the highest-ranked status
 * among its record and the events of the CTE `applied` (message_sid, status, error_code,
 * received_at), forward only, by `sms_delivery_status_rank`. Keep the first time of each stage,
 * the error of the highest-ranked failure (never erased by a later success), and stop
 * reconciling a delivery once its status is final. `moved` returns the deliveries that moved.
 * `errorMeanings` maps each error code of the events to its "<code>: <meaning>" text.
 */
export function deliveryMoves(errorMeanings: Record<string, string>): RawBuilder<unknown> {
  const meaning = sql`${JSON.stringify(errorMeanings)}::jsonb ->> s.error_code::text`;
  return sql`
    summary as (
      select message_sid,
        (array_agg(status order by public.sms_delivery_status_rank(status) desc))[1] as status,
        (array_agg(error_code order by public.sms_delivery_status_rank(status) desc)
          filter (where error_code is not null))[1] as error_code,
        min(received_at) filter (where status = 'sent') as sent_at,
        min(received_at) filter (where status in ('delivered', 'read')) as delivered_at,
        min(received_at) filter (where status in ('partially_delivered', 'undelivered', 'failed', 'canceled'))
          as failed_at,
        max(received_at) as last_at
      from applied group by message_sid order by message_sid
    ),
    moved as (
      update public.sms_deliveries d set
        status = s.status,
        error_code = coalesce(d.error_code, s.error_code),
        error_message = coalesce(d.error_message, ${meaning}),
        sent_at = coalesce(d.sent_at, s.sent_at),
        delivered_at = coalesce(d.delivered_at, s.delivered_at),
        failed_at = coalesce(d.failed_at, s.failed_at),
        last_callback_at = greatest(d.last_callback_at, s.last_at),
        next_reconcile_at = case when public.sms_delivery_status_rank(s.status)
            >= public.sms_delivery_status_rank('delivered')
          then null else d.next_reconcile_at end
      from summary s
      where d.message_sid = s.message_sid
        and public.sms_delivery_status_rank(s.status) > public.sms_delivery_status_rank(d.status)
      returning d.message_sid, d.status
    ),
    touched as (
      update public.sms_deliveries d set
        error_code = coalesce(d.error_code, s.error_code),
        error_message = coalesce(d.error_message, ${meaning}),
        sent_at = coalesce(d.sent_at, s.sent_at),
        last_callback_at = greatest(d.last_callback_at, s.last_at)
      from summary s
      where d.message_sid = s.message_sid
        and public.sms_delivery_status_rank(s.status) <= public.sms_delivery_status_rank(d.status)
    )`;
}

/**
 * Applies every pending status event of these SIDs whose delivery is recorded, in one
 * statement (see `deliveryMoves`). Returns the deliveries that moved, by SID.
 */
export async function applyPendingEvents(
  db: Db,
  messageSids: readonly string[],
  errorMeanings: Record<string, string>,
): Promise<DeliveryMove[]> {
  if (messageSids.length === 0) return [];
  const { rows } = await sql<DeliveryMove>`
    with ${pendingEventsApplied(messageSids)},
    applied as (select * from pending),
    ${deliveryMoves(errorMeanings)}
    select message_sid as "messageSid", status from moved order by message_sid
  `.execute(db);
  return rows;
}

/** A send that can never succeed: the record keeps why. */
export async function recordFailedDelivery(
  db: Db,
  deliveryId: number,
  failure: { errorCode: number | null; errorMessage: string },
): Promise<void> {
  await db
    .updateTable('sms_deliveries')
    .set({
      status: 'failed',
      error_code: failure.errorCode,
      error_message: failure.errorMessage,
      failed_at: sql<Date>`now()`,
      lease_owner: null,
      lease_expires_at: null,
    })
    .where('id', '=', deliveryId)
    .where('message_sid', 'is', null)
    .execute();
}

/** A delivery the reconciler asks Twilio about. */
export interface DeliveryToReconcile {
  messageSid: string;
}

/**
 * Takes up to `limit` deliveries whose check is due and that Twilio accepted less than
 * `horizonMs` ago, oldest check first, and books each one's next check: `afterMs` × 2^checks
 * from now, so a message that never gets a final status is asked about a few times, not
 * every minute. A due delivery past the horizon is unbooked in the same statement, so the
 * index of booked checks holds only live ones and no run scans the dead again. SKIP LOCKED
 * lets a second reconciler (should one overlap) take other rows.
 */
export async function takeDeliveriesToReconcile(
  db: Db,
  options: { limit: number; afterMs: number; horizonMs: number },
): Promise<DeliveryToReconcile[]> {
  const horizon = sql`now() - make_interval(secs => ${options.horizonMs / 1000})`;
  const { rows } = await sql<{ message_sid: string }>`
    with past as (
      select id from public.sms_deliveries
      where next_reconcile_at <= now() and accepted_at <= ${horizon}
      for update skip locked
    ),
    unbooked as (
      update public.sms_deliveries d set next_reconcile_at = null from past where d.id = past.id
    ),
    due as (
      select id from public.sms_deliveries
      where next_reconcile_at <= now()
        and accepted_at > ${horizon}
        and status <> all(${[...FINAL_DELIVERY_STATUSES]}::text[])
      order by next_reconcile_at
      limit ${options.limit}
      for update skip locked
    )
    update public.sms_deliveries d set
      reconcile_checks = d.reconcile_checks + 1,
      next_reconcile_at = now() + make_interval(secs => ${options.afterMs / 1000} * power(2, d.reconcile_checks + 1))
    from due where d.id = due.id
    returning d.message_sid
  `.execute(db);
  return rows.map((row) => ({ messageSid: row.message_sid }));
}
