import type { Db } from '@series-killer/shared';

/** Whether the call is an erased user's (the erasure recorded its SID): its late events are not stored. */
export async function isErasedCall(db: Db, callSid: string): Promise<boolean> {
  const row = await db.selectFrom('erased_sids').select('sid').where('sid', '=', callSid).executeTakeFirst();
  return row !== undefined;
}
