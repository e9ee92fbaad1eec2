import type { Db } from '@series-killer/shared';
import { sql } from 'kysely';

/** Completed calls with a non-empty transcript and no summary; one call when `callSid` is given. */
export async function findCallsAwaitingSummary(db: Db, filter: { callSid?: string } = {}): Promise<string[]> {
  let query = db
    .selectFrom('call_history')
    .select('call_sid')
    .where('call_status', '=', 'completed')
    .where(sql<string>`btrim(coalesce(transcript, ''))`, '<>', '')
    .where('summary', 'is', null);
  if (filter.callSid) query = query.where('call_sid', '=', filter.callSid);
  const rows = await query.orderBy('id').execute();
  return rows.map((row) => row.call_sid);
}
