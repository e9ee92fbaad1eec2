import type { Db, SmsStatusCallback } from '@series-killer/shared';
import { sql } from 'kysely';

/**
 * Appends callbacks to the event log in one statement; a replay of the same (SID, status,
 * error code), in this batch or an earlier one, finds its row already there. An event whose
 * send is not recorded yet is marked as waiting for it (`orphaned_at`): the send applies it.
 * Returns how many new events wait so.
 */
export async function insertStatusEvents(db: Db, callbacks: readonly SmsStatusCallback[]): Promise<number> {
  const { rows } = await sql<{ waiting: number }>`
    with inserted as (
      insert into public.sms_status_events
        (message_sid, user_id, status, error_code, raw_payload, received_at, orphaned_at)
      select c.message_sid, d.user_id, c.status, c.error_code, c.raw_payload::jsonb, c.received_at,
        case when d.id is null then now() end
      from unnest(
        ${callbacks.map((c) => c.messageSid)}::text[],
        ${callbacks.map((c) => c.status)}::text[],
        ${callbacks.map((c) => c.errorCode)}::integer[],
        ${callbacks.map((c) => JSON.stringify(c.raw))}::text[],
        ${callbacks.map((c) => c.receivedAt)}::timestamptz[]
      ) as c(message_sid, status, error_code, raw_payload, received_at)
      left join public.sms_deliveries d on d.message_sid = c.message_sid
      order by c.message_sid, c.received_at
      on conflict on constraint sms_status_events_event_key do nothing
      returning orphaned_at
    )
    select count(*) filter (where orphaned_at is not null)::integer as waiting from inserted
  `.execute(db);
  return rows[0]?.waiting ?? 0;
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
