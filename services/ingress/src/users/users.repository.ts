import type { Db } from '@series-killer/shared';
import type { NewUser } from './new-user.ts';

/** The public rows of a new user: pending profile, unverified phone link, preferences. */
export async function insertUserRows(db: Db, userId: string, user: NewUser): Promise<void> {
  await db
    .insertInto('user_profiles')
    .values({
      user_id: userId,
      first_name: user.firstName,
      last_name: user.lastName,
      location: user.location ?? null,
      onboarding_status: 'pending',
    })
    .execute();
  await db.insertInto('phone_links').values({ user_id: userId, phone_number: user.phone, verified: false }).execute();
  await db
    .insertInto('preferences')
    .values({ user_id: userId, voice_preference: user.voicePreference ?? null })
    .execute();
}
