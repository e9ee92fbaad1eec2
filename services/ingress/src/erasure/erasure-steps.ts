import type { Database, Db } from '@series-killer/shared';
import { type Expression, type SqlBool, sql } from 'kysely';
import { anyOf, type ErasureSubject, ownedOrUnclaimedNumber, ownedOrUnclaimedSid } from './erasure-subject.ts';

/** One table's part of an erasure: removes the subject's rows and says how many. */
export interface ErasureStep {
  table: string;
  erase(trx: Db, subject: ErasureSubject): Promise<number>;
}

type Condition = (subject: ErasureSubject) => Expression<SqlBool>;

const ownRows: Condition = (s) => sql<boolean>`user_id = ${s.userId}`;
const rowsOfTheirCalls: Condition = (s) => ownedOrUnclaimedSid(s.userId, 'call_sid', s.callSids);
const rowsOfTheirMessages: Condition = (s) => ownedOrUnclaimedSid(s.userId, 'message_sid', s.messageSids);
const rowsOfTheirNumbers: Condition = (s) => ownedOrUnclaimedNumber(s.userId, s.phoneNumbers);
/** A delivery record names its recipient as `to_number`, and its message once Twilio accepted it. */
const deliveriesToThem: Condition = (s) =>
  sql<boolean>`(user_id = ${s.userId} or (user_id is null and (message_sid = ${anyOf(s.messageSids)} or to_number = ${anyOf(s.phoneNumbers)})))`;

/** A step that deletes the rows of `table` matching `where`. */
function deleting(table: keyof Database & string, where: Condition): ErasureStep {
  return {
    table,
    erase: async (trx, subject) =>
      Number((await trx.deleteFrom(table).where(where(subject)).executeTakeFirst()).numDeletedRows),
  };
}

/**
 * An opt-out outlives the user: the number's STOP stays, without the user's id, so the number is
 * still refused. An opt-in (START after STOP) honours nothing once the user is gone, so it goes.
 */
const optOuts: ErasureStep = {
  table: 'sms_opt_outs',
  async erase(trx, subject) {
    await trx
      .updateTable('sms_opt_outs')
      .set({ user_id: null })
      .where('user_id', '=', subject.userId)
      .where('opted_out', '=', true)
      .execute();
    return deleting('sms_opt_outs', (s) => sql<boolean>`${rowsOfTheirNumbers(s)} and not opted_out`).erase(
      trx,
      subject,
    );
  },
};

/**
 * Every table that holds a user's rows, in an order the foreign keys allow: rows that reference
 * others first (call_analyses → call_history), every reference to auth.users gone before the
 * auth user is deleted. A new table with a `user_id` column gets its step here; the erasure test
 * finds such tables in the catalog and fails until it has one.
 */
export const ERASURE_STEPS: readonly ErasureStep[] = [
  deleting('outbound_calls', ownRows),
  deleting('user_time_zones', ownRows),
  deleting('call_analyses', rowsOfTheirCalls),
  deleting('call_status_sequences', (s) => sql<boolean>`call_sid = ${anyOf(s.callSids)}`),
  deleting('call_transcript_segments', rowsOfTheirCalls),
  deleting('call_transcriptions', rowsOfTheirCalls),
  deleting('call_history', rowsOfTheirCalls),
  deleting('sms_status_events', rowsOfTheirMessages),
  // Before onboarding_messages: a delivery record references the onboarding message it sends.
  deleting('sms_deliveries', deliveriesToThem),
  deleting('sms_history', rowsOfTheirNumbers),
  deleting('onboarding_messages', ownRows),
  optOuts,
  deleting('phone_links', rowsOfTheirNumbers),
  deleting('preferences', ownRows),
  deleting('user_profiles', ownRows),
];
