import type { Db } from '@series-killer/shared';
import { anyOf, type ErasureSubject, ownedOrUnclaimedNumber, ownedOrUnclaimedSid } from './erasure-subject.ts';

/** One table's part of an erasure: removes the subject's rows and says how many. */
export interface ErasureStep {
  table: string;
  erase(trx: Db, subject: ErasureSubject): Promise<number>;
}

const count = (result: { numDeletedRows: bigint } | { numUpdatedRows: bigint }) =>
  Number('numDeletedRows' in result ? result.numDeletedRows : result.numUpdatedRows);

/**
 * Every table that holds a user's rows, in an order the foreign keys allow: rows that reference
 * others first (call_analyses → call_history), every reference to auth.users gone before the
 * auth user is deleted. A new table with a `user_id` column gets its step here; the erasure test
 * finds such tables in the catalog and fails until it has one.
 */
export const ERASURE_STEPS: readonly ErasureStep[] = [
  {
    table: 'call_analyses',
    erase: async (trx, s) =>
      count(
        await trx
          .deleteFrom('call_analyses')
          .where(ownedOrUnclaimedSid(s.userId, 'call_sid', s.callSids))
          .executeTakeFirst(),
      ),
  },
  {
    table: 'call_status_sequences',
    erase: async (trx, s) =>
      count(await trx.deleteFrom('call_status_sequences').where('call_sid', '=', anyOf(s.callSids)).executeTakeFirst()),
  },
  {
    table: 'call_transcript_segments',
    erase: async (trx, s) =>
      count(
        await trx
          .deleteFrom('call_transcript_segments')
          .where(ownedOrUnclaimedSid(s.userId, 'call_sid', s.callSids))
          .executeTakeFirst(),
      ),
  },
  {
    table: 'call_transcriptions',
    erase: async (trx, s) =>
      count(
        await trx
          .deleteFrom('call_transcriptions')
          .where(ownedOrUnclaimedSid(s.userId, 'call_sid', s.callSids))
          .executeTakeFirst(),
      ),
  },
  {
    table: 'call_history',
    erase: async (trx, s) =>
      count(
        await trx
          .deleteFrom('call_history')
          .where(ownedOrUnclaimedSid(s.userId, 'call_sid', s.callSids))
          .executeTakeFirst(),
      ),
  },
  {
    table: 'sms_status_events',
    erase: async (trx, s) =>
      count(
        await trx
          .deleteFrom('sms_status_events')
          .where(ownedOrUnclaimedSid(s.userId, 'message_sid', s.messageSids))
          .executeTakeFirst(),
      ),
  },
  {
    table: 'sms_history',
    erase: async (trx, s) =>
      count(
        await trx.deleteFrom('sms_history').where(ownedOrUnclaimedNumber(s.userId, s.phoneNumbers)).executeTakeFirst(),
      ),
  },
  {
    table: 'onboarding_messages',
    erase: async (trx, s) =>
      count(await trx.deleteFrom('onboarding_messages').where('user_id', '=', s.userId).executeTakeFirst()),
  },
  {
    // An opt-out outlives the user: the number's STOP stays, without the user's id. An opt-in
    // (START after STOP) honours nothing once the user is gone, so it goes.
    table: 'sms_opt_outs',
    erase: async (trx, s) => {
      await trx
        .updateTable('sms_opt_outs')
        .set({ user_id: null })
        .where('user_id', '=', s.userId)
        .where('opted_out', '=', true)
        .execute();
      return count(
        await trx
          .deleteFrom('sms_opt_outs')
          .where(ownedOrUnclaimedNumber(s.userId, s.phoneNumbers))
          .where('opted_out', '=', false)
          .executeTakeFirst(),
      );
    },
  },
  {
    table: 'phone_links',
    erase: async (trx, s) =>
      count(
        await trx.deleteFrom('phone_links').where(ownedOrUnclaimedNumber(s.userId, s.phoneNumbers)).executeTakeFirst(),
      ),
  },
  {
    table: 'preferences',
    erase: async (trx, s) =>
      count(await trx.deleteFrom('preferences').where('user_id', '=', s.userId).executeTakeFirst()),
  },
  {
    table: 'user_profiles',
    erase: async (trx, s) =>
      count(await trx.deleteFrom('user_profiles').where('user_id', '=', s.userId).executeTakeFirst()),
  },
];
