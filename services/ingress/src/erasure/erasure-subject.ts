import { type Db, toAuthPhone, toE164 } from '@series-killer/shared';
import { sql } from 'kysely';

/** Whom to erase: a user id, or an E.164 number linked to (or the auth phone of) a user. */
export type ErasureTarget = { userId: string } | { phoneNumber: string };

/**
 * Everything that identifies a user's rows. Rows recorded before the number was linked to the
 * user carry no user id, only the number: those (and the rows that hang off them by message or
 * call SID) are the person's too. Rows carrying another user's id are never part of it.
 */
export interface ErasureSubject {
  userId: string;
  /** E.164 numbers of the user: their phone links and their auth user's phone. */
  phoneNumbers: string[];
  /** SIDs of the user's messages, in either direction. */
  messageSids: string[];
  /** SIDs of the user's calls. */
  callSids: string[];
}

/** The id of the user a target names, or undefined when no user has that number. */
export async function resolveTarget(db: Db, target: ErasureTarget): Promise<string | undefined> {
  // Lower case, as Postgres prints a uuid and as job payloads carry it.
  if ('userId' in target) return target.userId.toLowerCase();
  const link = await db
    .selectFrom('phone_links')
    .select('user_id')
    .where('phone_number', '=', target.phoneNumber)
    .where('user_id', 'is not', null)
    .executeTakeFirst();
  if (link?.user_id) return link.user_id;
  const authUser = await db
    .selectFrom('auth.users')
    .select('id')
    .where('phone', '=', toAuthPhone(target.phoneNumber))
    .executeTakeFirst();
  return authUser?.id;
}

/** `column = any($1)`: an empty list matches nothing (where `in ()` would not parse). */
export function anyOf(values: string[]) {
  return sql<string>`any(${values}::text[])`;
}

/** A row of the user's, or one of their numbers with no user id (a table with `user_id` and `phone_number`). */
export function ownedOrUnclaimedNumber(userId: string, phoneNumbers: string[]) {
  return sql<boolean>`(user_id = ${userId} or (user_id is null and phone_number = ${anyOf(phoneNumbers)}))`;
}

/** A row of the user's, or one with no user id that hangs off one of `sids` by its `column`. */
export function ownedOrUnclaimedSid(userId: string, column: 'message_sid' | 'call_sid', sids: string[]) {
  return sql<boolean>`(user_id = ${userId} or (user_id is null and ${sql.ref(column)} = ${anyOf(sids)}))`;
}

export async function findErasureSubject(db: Db, userId: string): Promise<ErasureSubject> {
  const links = await db.selectFrom('phone_links').select('phone_number').where('user_id', '=', userId).execute();
  const authUser = await db.selectFrom('auth.users').select('phone').where('id', '=', userId).executeTakeFirst();
  const authPhone = authUser?.phone ? toE164(authUser.phone) : undefined;
  const phoneNumbers = unique([...links.map((link) => link.phone_number), ...(authPhone ? [authPhone] : [])]);

  const messages = await db
    .selectFrom('sms_history')
    .select('message_sid as sid')
    .where(ownedOrUnclaimedNumber(userId, phoneNumbers))
    .union(
      db
        .selectFrom('onboarding_messages')
        .select(sql<string>`message_sid`.as('sid'))
        .where('user_id', '=', userId)
        .where('message_sid', 'is not', null),
    )
    .union(db.selectFrom('sms_status_events').select('message_sid as sid').where('user_id', '=', userId))
    .union(
      db
        .selectFrom('sms_deliveries')
        .select(sql<string>`message_sid`.as('sid'))
        .where('user_id', '=', userId)
        .where('message_sid', 'is not', null),
    )
    .union(erasedSids(db, userId).where('sid', 'not like', 'CA%'))
    .execute();
  const calls = await db
    .selectFrom('call_history')
    .select('call_sid as sid')
    .where(ownedOrUnclaimedNumber(userId, phoneNumbers))
    .union(db.selectFrom('call_transcriptions').select('call_sid as sid').where('user_id', '=', userId))
    .union(db.selectFrom('call_transcript_segments').select('call_sid as sid').where('user_id', '=', userId))
    .union(db.selectFrom('call_analyses').select('call_sid as sid').where('user_id', '=', userId))
    .union(erasedSids(db, userId).where('sid', 'like', 'CA%'))
    .execute();

  return {
    userId,
    phoneNumbers,
    messageSids: messages.map((row) => row.sid),
    callSids: calls.map((row) => row.sid),
  };
}

/**
 * The SIDs an erasure of the user recorded: once their rows are gone, these still find what a job
 * that was running wrote after them (and let a rerun find it too).
 */
function erasedSids(db: Db, userId: string) {
  return db
    .selectFrom('erased_sids')
    .innerJoin('user_erasures', 'user_erasures.id', 'erased_sids.erasure_id')
    .select('erased_sids.sid as sid')
    .where('user_erasures.erased_user_id', '=', userId);
}

function unique(values: string[]): string[] {
  return [...new Set(values)];
}
