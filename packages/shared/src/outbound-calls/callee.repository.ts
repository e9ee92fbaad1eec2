import { sql } from 'kysely';
import type { Db } from '../db/create-db.ts';

/** The user an outbound call is for, with what decides whether they may be called. */
export interface Callee {
  userId: string;
  /** E.164. */
  phoneNumber: string;
  firstName: string;
  voicePreference: string | null;
  /** Their IANA time zone, when known. */
  timeZone: string | null;
  verified: boolean;
  /** The number replied STOP (and not START since). */
  optedOut: boolean;
  /** An erasure of the user has begun. */
  erasing: boolean;
}

export type CalleeLookup = { userId: string } | { phoneNumber: string };

/**
 * The user to call, by id or by a number linked to them; their verified link first when they
 * have several. Undefined when no user with a profile and a linked number matches.
 */
export async function findCallee(db: Db, lookup: CalleeLookup): Promise<Callee | undefined> {
  const row = await db
    .selectFrom('phone_links')
    .innerJoin('user_profiles', 'user_profiles.user_id', 'phone_links.user_id')
    .leftJoin('preferences', 'preferences.user_id', 'phone_links.user_id')
    .leftJoin('user_time_zones', 'user_time_zones.user_id', 'phone_links.user_id')
    .select((eb) => [
      'user_profiles.user_id as userId',
      'phone_links.phone_number as phoneNumber',
      'user_profiles.first_name as firstName',
      'preferences.voice_preference as voicePreference',
      'user_time_zones.time_zone as timeZone',
      sql<boolean>`coalesce(phone_links.verified, false)`.as('verified'),
      eb
        .exists(
          eb
            .selectFrom('sms_opt_outs')
            .select(sql`1`.as('one'))
            .whereRef('sms_opt_outs.phone_number', '=', 'phone_links.phone_number')
            .where('sms_opt_outs.opted_out', '=', true),
        )
        .as('optedOut'),
      eb
        .exists(
          eb
            .selectFrom('user_erasures')
            .select(sql`1`.as('one'))
            .whereRef('user_erasures.erased_user_id', '=', 'user_profiles.user_id'),
        )
        .as('erasing'),
    ])
    .where(
      'userId' in lookup
        ? sql<boolean>`phone_links.user_id = ${lookup.userId}`
        : sql<boolean>`phone_links.phone_number = ${lookup.phoneNumber}`,
    )
    .orderBy(sql`phone_links.verified is true`, 'desc')
    .orderBy('phone_links.id', 'desc')
    .executeTakeFirst();
  return row && { ...row, optedOut: Boolean(row.optedOut), erasing: Boolean(row.erasing) };
}

/** Whether an erasure of this user id was ever requested (the user may be gone already). */
export async function wasErased(db: Db, userId: string): Promise<boolean> {
  const row = await db.selectFrom('user_erasures').select('id').where('erased_user_id', '=', userId).executeTakeFirst();
  return row !== undefined;
}

/** Why this user must not be called, in a few words; undefined when they may be. */
export function callRefusal(callee: Callee): string | undefined {
  if (callee.erasing) return 'the user is being erased';
  if (callee.optedOut) return 'the number replied STOP';
  if (!callee.verified) return 'the number is not verified';
  return undefined;
}
