import type { Db } from '@series-killer/shared';

/** Notes a call kept out of `call_history`, so its transcripts stop waiting for a row. */
export async function recordSkippedCall(db: Db, callSid: string, reason: string): Promise<void> {
  await db
    .insertInto('skipped_calls')
    .values({ call_sid: callSid, reason })
    .onConflict((oc) => oc.column('call_sid').doNothing())
    .execute();
}

/** Why the call was kept out of `call_history`; undefined for a call that was not. */
export async function findSkippedCallReason(db: Db, callSid: string): Promise<string | undefined> {
  const row = await db.selectFrom('skipped_calls').select('reason').where('call_sid', '=', callSid).executeTakeFirst();
  return row?.reason;
}
