import type { CallStatus, Db } from '@series-killer/shared';
import { type Expression, sql } from 'kysely';

/**
 * How far along its lifecycle each status is. A callback only moves a call to a higher rank,
 * so a late `ringing` never overwrites `in-progress`, and a terminal status never changes.
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
  /** Seconds; null leaves the stored duration unchanged. */
  duration: number | null;
}

/**
 * Inserts the call, or moves its status forward. Returns whether the row changed: false when
 * the callback is a duplicate or older than what is stored.
 */
export async function upsertCallStatus(db: Db, call: CallStatusUpsert): Promise<boolean> {
  const linkedUser = db
    .selectFrom('phone_links')
    .select('phone_links.user_id')
    .where('phone_links.phone_number', '=', call.phoneNumber)
    .limit(1);
  const row = await db
    .insertInto('call_history')
    .values({
      call_sid: call.callSid,
      phone_number: call.phoneNumber,
      user_id: linkedUser,
      call_status: call.status,
      duration: call.duration,
    })
    .onConflict((oc) =>
      oc
        .column('call_sid')
        .doUpdateSet((eb) => ({
          call_status: eb.ref('excluded.call_status'),
          duration: eb.fn.coalesce('excluded.duration', 'call_history.duration'),
          user_id: eb.fn.coalesce('call_history.user_id', 'excluded.user_id'),
        }))
        .where(({ eb, ref }) =>
          eb(statusRank(ref('excluded.call_status')), '>', statusRank(ref('call_history.call_status'))),
        ),
    )
    .returning('call_history.id')
    .executeTakeFirst();
  return row !== undefined;
}
