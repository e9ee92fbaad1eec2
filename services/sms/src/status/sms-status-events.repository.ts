import type { Db, SmsStatusCallback } from '@series-killer/shared';
import { sql } from 'kysely';
import { type DeliveryMove, deliveryMoves, pendingEventsApplied } from '../deliveries/sms-deliveries.repository.ts';

/** What appending a batch of callbacks did. */
export interface AppendedStatusEvents {
  /** The deliveries that moved, by SID. */
  moved: DeliveryMove[];
  /** The SIDs of new events whose send is not recorded yet: they wait in Postgres for it. */
  waiting: string[];
}

/**
 * Appends callbacks to the event log and applies them to their deliveries, in one statement:
 * a replay of the same (SID, status, error code), in this batch or an earlier one, finds its
 * row already there; an event whose delivery is recorded is written applied (one write per
 * event, not an insert and then an update), together with any event of these SIDs still
 * pending (an orphan handed over again); an event whose send is not recorded yet is marked as
 * waiting for it (`orphaned_at`): the send applies it. A callback of an erased user's message
 * is dropped. The caller holds the SIDs' locks (as the erasure does, so it runs wholly before
 * or after this).
 */
export async function appendStatusEvents(
  db: Db,
  callbacks: readonly SmsStatusCallback[],
  errorMeanings: Record<string, string>,
): Promise<AppendedStatusEvents> {
  const messageSids = [...new Set(callbacks.map((c) => c.messageSid))];
  const { rows } = await sql<{ waiting: string[]; messageSid: string | null; status: string | null }>`
    with inserted as (
      insert into public.sms_status_events
        (message_sid, user_id, status, error_code, raw_payload, received_at, orphaned_at, applied_at)
      select c.message_sid, d.user_id, c.status, c.error_code, c.raw_payload::jsonb, c.received_at,
        case when d.id is null then now() end,
        case when d.id is not null and c.status not in ('receiving', 'received') then now() end
      from unnest(
        ${callbacks.map((c) => c.messageSid)}::text[],
        ${callbacks.map((c) => c.status)}::text[],
        ${callbacks.map((c) => c.errorCode)}::integer[],
        ${callbacks.map((c) => JSON.stringify(c.raw))}::text[],
        ${callbacks.map((c) => c.receivedAt)}::timestamptz[]
      ) as c(message_sid, status, error_code, raw_payload, received_at)
      left join public.sms_deliveries d on d.message_sid = c.message_sid
      -- A late callback of an erased user's message: stored, it would keep their number.
      where not exists (select 1 from public.erased_sids e where e.sid = c.message_sid)
      order by c.message_sid, c.received_at
      on conflict on constraint sms_status_events_event_key do nothing
      returning message_sid, status, error_code, received_at, orphaned_at, applied_at
    ),
    ${pendingEventsApplied(messageSids)},
    applied as (
      select message_sid, status, error_code, received_at from inserted where applied_at is not null
      union all
      select message_sid, status, error_code, received_at from pending
    ),
    ${deliveryMoves(errorMeanings)}
    select w.waiting, m.message_sid as "messageSid", m.status
    from (
      select coalesce(array_agg(message_sid) filter (where orphaned_at is not null), '{}') as waiting from inserted
    ) w
      left join moved m on true
    order by m.message_sid
  `.execute(db);
  return {
    moved: rows.flatMap((row) =>
      row.messageSid && row.status ? [{ messageSid: row.messageSid, status: row.status }] : [],
    ),
    waiting: rows[0]?.waiting ?? [],
  };
}

/** The error codes of the events still waiting for this message's send. */
export async function pendingErrorCodes(db: Db, messageSid: string): Promise<number[]> {
  const rows = await db
    .selectFrom('sms_status_events')
    .select(['error_code'])
    .where('message_sid', '=', messageSid)
    .where('applied_at', 'is', null)
    .where('error_code', 'is not', null)
    .execute();
  return rows.flatMap((row) => (row.error_code === null ? [] : [row.error_code]));
}
