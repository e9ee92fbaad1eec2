import type { Db } from '@series-killer/shared';

export type OnboardingStatus = 'pending' | 'sms_sent' | 'completed' | 'failed';

export interface LockedProfile {
  firstName: string;
  onboardingStatus: OnboardingStatus;
}

/** The user's profile, locked until the transaction ends, so one onboarding step runs at a time. */
export async function lockProfile(db: Db, userId: string): Promise<LockedProfile | undefined> {
  const row = await db
    .selectFrom('user_profiles')
    .select(['first_name as firstName', 'onboarding_status as onboardingStatus'])
    .where('user_id', '=', userId)
    .forUpdate()
    .executeTakeFirst();
  return row && { firstName: row.firstName, onboardingStatus: row.onboardingStatus as OnboardingStatus };
}

export async function failPendingProfile(db: Db, userId: string): Promise<void> {
  await db
    .updateTable('user_profiles')
    .set({ onboarding_status: 'failed' })
    .where('user_id', '=', userId)
    .where('onboarding_status', '=', 'pending')
    .execute();
}

/**
 * Completes onboarding. A `failed` profile completes too: a correct code proves the number
 * receives our texts, whatever happened to an earlier message.
 */
export async function completeProfile(db: Db, userId: string): Promise<void> {
  await db
    .updateTable('user_profiles')
    .set((eb) => ({ onboarding_status: 'completed', phone_verified: true, onboarding_completed_at: eb.fn('now') }))
    .where('user_id', '=', userId)
    .where('onboarding_status', 'in', ['pending', 'sms_sent', 'failed'])
    .execute();
}

/** Bootstrap mode only: on Supabase the auth service owns auth.users. */
export async function confirmAuthPhone(db: Db, userId: string): Promise<void> {
  await db
    .updateTable('auth.users')
    .set((eb) => ({ phone_confirmed_at: eb.fn('now') }))
    .where('id', '=', userId)
    .where('phone_confirmed_at', 'is', null)
    .execute();
}
