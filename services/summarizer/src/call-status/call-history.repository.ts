import type { CallStatus, Db } from '@series-killer/shared';
import { type Expression, sql } from 'kysely';

/**
 * How far along its lifecycle each status is. A callback only moves a call to a higher rank, or
 * within a rank to a later `SequenceNumber`, so a late `ringing` never overwrites `in-progress`,
 * and a terminal status only gives way to a later terminal one.
 */
export const CALL_STATUS_RANK: Record<CallStatus, number> = {
  queued: 0,
  initiated: 0,
  ringing: 1,
  'in-progress': 2,
  completed: 3,
  busy: 3,
  failed: 3,
  'no-answer': 3,
  canceled: 3,
};

/** The rank of a status column in SQL; -1 for a row without a status yet. */
function statusRank(status: Expression<string | null>) {
  const whens = Object.entries(CALL_STATUS_RANK).map(([name, rank]) => sql`when ${name} then ${sql.lit(rank)}`);
  return sql<number>`(case ${status} ${sql.join(whens, sql` `)} else -1 end)`;
}

export interface CallStatusUpsert {
  callSid: string;
  phoneNumber: string;
  status: CallStatus;
  /** Twilio's `SequenceNumber`, counting up over a call's callbacks; null when the callback has none. */
  sequence: number | null;
  /** Seconds, for a completed call; null otherwise. */
  duration: number | null;
}

/**
 * Inserts the call, or moves its status forward, in one transaction. Returns whether the row
 * changed: false when the callback is a duplicate or older than what is stored.
 */
export async function upsertCallStatus(db: Db, call: CallStatusUpsert): Promise<boolean> {
  return db.transaction().execute(async (trx) => {
    const applied = (await insertNewCall(trx, call)) || (await moveCallForward(trx, call));
    if (applied) await recordStatusSequence(trx, call.callSid, call.sequence);
    return applied;
  });
}

function linkedUserOf(db: Db, phoneNumber: string) {
  return db
    .selectFrom('phone_links')
    .select('phone_links.user_id')
    .where('phone_links.phone_number', '=', phoneNumber)
    .limit(1);
}

/** Inserts the call's first row; false when the call already has one. */
async function insertNewCall(db: Db, call: CallStatusUpsert): Promise<boolean> {
  const row = await db
    .insertInto('call_history')
    .values({
      call_sid: call.callSid,
      phone_number: call.phoneNumber,
      user_id: linkedUserOf(db, call.phoneNumber),
      call_status: call.status,
      duration: call.duration,
    })
    .onConflict((oc) => oc.column('call_sid').doNothing())
    .returning('id')
    .executeTakeFirst();
  return row !== undefined;
}

/**
 * Moves the call to a higher rank, or within its rank to a callback with a higher sequence.
 * Without a sequence only the rank counts.
 */
async function moveCallForward(db: Db, call: CallStatusUpsert): Promise<boolean> {
  // Waiting for the row lock first means the update's snapshot holds the sequence stored by
  // whichever callback held the lock before; a subquery inside a waiting update would not.
  await db.selectFrom('call_history').select('id').where('call_sid', '=', call.callSid).forUpdate().execute();
  const rank = CALL_STATUS_RANK[call.status];
  const row = await db
    .updateTable('call_history')
    .set((eb) => ({
      call_status: call.status,
      // The duration belongs to the status: a later terminal status replaces a completed one's.
      duration: call.duration,
      user_id: eb.fn.coalesce('call_history.user_id', linkedUserOf(db, call.phoneNumber)),
    }))
    .where('call_sid', '=', call.callSid)
    .where((eb) => {
      const storedRank = statusRank(eb.ref('call_history.call_status'));
      const higherRank = eb(storedRank, '<', rank);
      if (call.sequence === null) return higherRank;
      const storedSequence = eb.fn.coalesce(
        eb.selectFrom('call_status_sequences').select('sequence').where('call_sid', '=', call.callSid),
        sql.lit(-1),
      );
      return eb.or([higherRank, eb.and([eb(storedRank, '=', rank), eb(storedSequence, '<', call.sequence)])]);
    })
    .returning('id')
    .executeTakeFirst();
  return row !== undefined;
}

/**
 * Keeps the sequence of the callback that set the stored status. A status set without one
 * drops the old sequence, which belonged to an earlier status.
 */
async function recordStatusSequence(db: Db, callSid: string, sequence: number | null): Promise<void> {
  if (sequence === null) {
    await db.deleteFrom('call_status_sequences').where('call_sid', '=', callSid).execute();
    return;
  }
  await db
    .insertInto('call_status_sequences')
    .values({ call_sid: callSid, sequence })
    .onConflict((oc) => oc.column('call_sid').doUpdateSet((eb) => ({ sequence: eb.ref('excluded.sequence') })))
    .execute();
}
