import type { Db } from '@series-killer/shared';

/** What the TwiML of an answered outbound call needs. */
export interface AnsweredOutboundCall {
  id: string;
  purpose: string | null;
  firstName: string;
  voicePreference: string | null;
}

/** The outbound call with its user's first name and voice; undefined when it no longer exists. */
export async function findAnsweredOutboundCall(db: Db, id: string): Promise<AnsweredOutboundCall | undefined> {
  return db
    .selectFrom('outbound_calls')
    .innerJoin('user_profiles', 'user_profiles.user_id', 'outbound_calls.user_id')
    .leftJoin('preferences', 'preferences.user_id', 'outbound_calls.user_id')
    .select([
      'outbound_calls.id',
      'outbound_calls.purpose',
      'user_profiles.first_name as firstName',
      'preferences.voice_preference as voicePreference',
    ])
    .where('outbound_calls.id', '=', id)
    .executeTakeFirst();
}
