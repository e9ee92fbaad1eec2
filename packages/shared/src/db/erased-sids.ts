import type { Db } from './create-db.ts';

/**
 * Whether a message or call SID is an erased user's (the erasure recorded it): a late event of
 * it, or a replay, is then not stored, since it would keep their number or words.
 */
export async function isErasedSid(db: Db, sid: string): Promise<boolean> {
  const row = await db.selectFrom('erased_sids').select('sid').where('sid', '=', sid).executeTakeFirst();
  return row !== undefined;
}
