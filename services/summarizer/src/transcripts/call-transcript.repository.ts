import type { Db } from '@series-killer/shared';

/** The call row, locked for the transaction; undefined while no status callback has created it. */
export async function lockCallForTranscript(db: Db, callSid: string) {
  return db
    .selectFrom('call_history')
    .select(['user_id', 'transcript'])
    .where('call_sid', '=', callSid)
    .forUpdate()
    .executeTakeFirst();
}

/** Writes the call's transcript once; a transcript already there is never replaced. */
export async function writeTranscriptOnce(db: Db, callSid: string, transcript: string): Promise<boolean> {
  const row = await db
    .updateTable('call_history')
    .set({ transcript })
    .where('call_sid', '=', callSid)
    .where('transcript', 'is', null)
    .returning('id')
    .executeTakeFirst();
  return row !== undefined;
}
