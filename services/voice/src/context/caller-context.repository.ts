import type { Db } from '@series-killer/shared';

/** The user linked to a phone number, with what the bot may say about them. */
export async function findCallerProfile(db: Db, phoneNumber: string) {
  return db
    .selectFrom('phone_links')
    .innerJoin('user_profiles', 'user_profiles.user_id', 'phone_links.user_id')
    .leftJoin('preferences', 'preferences.user_id', 'phone_links.user_id')
    .select([
      'user_profiles.user_id as userId',
      'user_profiles.first_name as firstName',
      'user_profiles.location as location',
      'user_profiles.onboarding_status as onboardingStatus',
      'preferences.voice_preference as voicePreference',
    ])
    .where('phone_links.phone_number', '=', phoneNumber)
    .executeTakeFirst();
}

export async function isSmsOptedOut(db: Db, phoneNumber: string): Promise<boolean> {
  const row = await db
    .selectFrom('sms_opt_outs')
    .select('opted_out')
    .where('phone_number', '=', phoneNumber)
    .executeTakeFirst();
  return row?.opted_out === true;
}

/** The user's latest analysed calls, newest first. */
export async function listRecentCallAnalyses(db: Db, userId: string, limit: number) {
  return db
    .selectFrom('call_analyses')
    .select(['summary', 'action_items as actionItems', 'created_at as createdAt'])
    .where('user_id', '=', userId)
    .orderBy('created_at', 'desc')
    .limit(limit)
    .execute();
}
