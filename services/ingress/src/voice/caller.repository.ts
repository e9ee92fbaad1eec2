import type { Db } from '@series-killer/shared';

/** What the greeting of a known caller needs. */
export interface KnownCaller {
  firstName: string;
  voicePreference: string | null;
}

/** The user linked to `phoneNumber` (E.164), with their first name and preferred voice. */
export async function findCaller(db: Db, phoneNumber: string): Promise<KnownCaller | undefined> {
  return db
    .selectFrom('phone_links')
    .innerJoin('user_profiles', 'user_profiles.user_id', 'phone_links.user_id')
    .leftJoin('preferences', 'preferences.user_id', 'phone_links.user_id')
    .select(['user_profiles.first_name as firstName', 'preferences.voice_preference as voicePreference'])
    .where('phone_links.phone_number', '=', phoneNumber)
    .executeTakeFirst();
}
