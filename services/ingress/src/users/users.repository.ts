import { type Db, toAuthPhone } from '@series-killer/shared';
import type { NewUser } from './new-user.ts';

/** The public rows of a new user: pending profile, unverified phone link, preferences, time zone when given. */
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
  if (user.timeZone)
    await db.insertInto('user_time_zones').values({ user_id: userId, time_zone: user.timeZone }).execute();
}

/**
 * An auth user with this phone but no profile: what a crash between Supabase Auth creating
 * the user and the profile transaction committing leaves behind.
 */
export async function findAuthUserWithoutProfile(db: Db, phone: string): Promise<string | undefined> {
  const row = await db
    .selectFrom('auth.users')
    .leftJoin('user_profiles', 'user_profiles.user_id', 'auth.users.id')
    .select('auth.users.id')
    .where('auth.users.phone', '=', toAuthPhone(phone))
    .where('user_profiles.id', 'is', null)
    .executeTakeFirst();
  return row?.id;
}
