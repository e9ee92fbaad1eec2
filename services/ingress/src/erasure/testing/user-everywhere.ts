import type { Db } from '@series-killer/shared';
import { fakeSid } from '@series-killer/shared/testing';
import { sql } from 'kysely';

/** What `addRowsEverywhere` wrote for a user, to look for after an erasure. */
export interface UserRows {
  userId: string;
  phone: string;
  messageSids: string[];
  callSids: string[];
}

/**
 * Gives a user (whose auth user, profile, phone link and preferences exist) a row in every other
 * table that holds a user's data, plus rows that carry only their number (recorded before the
 * number was linked to them): an inbound SMS with its status event, and a call with its
 * transcript. The number has sent STOP.
 */
export async function addRowsEverywhere(db: Db, userId: string, phone: string): Promise<UserRows> {
  const [outbound, inbound, unlinked] = [fakeSid('SM'), fakeSid('SM'), fakeSid('SM')];
  const [call, unlinkedCall] = [fakeSid('CA'), fakeSid('CA')];
  const sms = (message_sid: string, user_id: string | null, direction: 'inbound' | 'outbound') => ({
    message_sid,
    user_id,
    phone_number: phone,
    direction,
    content: `text of ${message_sid}`,
  });
  await db
    .insertInto('sms_history')
    .values([sms(outbound, userId, 'outbound'), sms(inbound, userId, 'inbound'), sms(unlinked, null, 'inbound')])
    .execute();
  const welcome = await db
    .insertInto('onboarding_messages')
    .values({
      user_id: userId,
      phone_number: phone,
      message_type: 'welcome',
      message_sid: outbound,
      status: 'delivered',
      content: 'Welcome',
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  await db
    .insertInto('sms_deliveries')
    .values({
      send_key: `onboarding-message.${welcome.id}`,
      message_sid: outbound,
      user_id: userId,
      onboarding_message_id: welcome.id,
      to_number: phone,
      sender: '+15005550006',
      body_sha256: 'sha256-of-the-welcome',
      status: 'delivered',
    })
    .execute();
  const event = (message_sid: string, user_id: string | null, status: 'sent' | 'delivered' | 'received') => ({
    message_sid,
    user_id,
    status,
    raw_payload: JSON.stringify({ MessageSid: message_sid, To: phone }),
    received_at: new Date(),
    applied_at: new Date(),
  });
  await db
    .insertInto('sms_status_events')
    .values([event(outbound, userId, 'sent'), event(outbound, userId, 'delivered'), event(unlinked, null, 'received')])
    .execute();
  await db
    .insertInto('sms_opt_outs')
    .values({ phone_number: phone, user_id: userId, opted_out: true, keyword: 'STOP' })
    .execute();

  await db
    .insertInto('call_history')
    .values([
      { call_sid: call, user_id: userId, phone_number: phone, call_status: 'completed', transcript: 'Caller: hi' },
      { call_sid: unlinkedCall, user_id: null, phone_number: phone, call_status: 'completed' },
    ])
    .execute();
  await db.insertInto('call_status_sequences').values({ call_sid: call, sequence: 3 }).execute();
  await db
    .insertInto('call_transcriptions')
    .values([
      { call_sid: call, user_id: userId, started_sequence: 0, stopped_sequence: 2, assembled_at: sql<Date>`now()` },
      { call_sid: unlinkedCall, user_id: null },
    ])
    .execute();
  await db
    .insertInto('call_transcript_segments')
    .values([
      { call_sid: call, user_id: userId, track: 'inbound_track', sequence: 1, text: 'hi' },
      { call_sid: unlinkedCall, user_id: null, track: 'inbound_track', sequence: 1, text: 'hello?' },
    ])
    .execute();
  await db
    .insertInto('call_analyses')
    .values({
      call_sid: call,
      user_id: userId,
      model: 'gpt-4o-mini',
      transcript_sha256: 'x',
      summary: 'A greeting.',
      sentiment: 'neutral',
      follow_up_needed: false,
    })
    .execute();
  await db
    .insertInto('outbound_calls')
    .values({ user_id: userId, phone_number: phone, purpose: 'Friday’s episode', not_before: new Date() })
    .execute();
  await db.insertInto('user_time_zones').values({ user_id: userId, time_zone: 'Europe/Paris' }).execute();
  return { userId, phone, messageSids: [outbound, inbound, unlinked], callSids: [call, unlinkedCall] };
}

/** Every public table with this column, from the catalog: a table added later is found too. */
export async function tablesWithColumn(db: Db, column: 'user_id' | 'phone_number'): Promise<string[]> {
  const { rows } = await sql<{ table_name: string }>`select table_name from information_schema.columns
    where table_schema = 'public' and column_name = ${column} order by table_name`.execute(db);
  return rows.map((row) => row.table_name);
}

/** Rows of `table` whose `column` equals `value` (the catalog's tables are not all in the Database type). */
export async function countWhere(db: Db, table: string, column: string, value: string): Promise<number> {
  const { rows } = await sql<{ n: string }>`select count(*) as n from ${sql.table(`public.${table}`)} where ${sql.ref(
    column,
  )} = ${value}`.execute(db);
  return Number(rows[0]?.n ?? 0);
}
