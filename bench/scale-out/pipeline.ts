import type { Db } from '@series-killer/shared';
import { benchMessageSid } from '../load/signed-status-callbacks.ts';

/**
 * Inserts `count` outbound messages, as sends leave them, so their status callbacks have rows to
 * apply to; their SIDs are `benchMessageSid(seed, 0…count-1)`, which the load generator derives too.
 */
export async function insertOutboundMessages(db: Db, seed: string, count: number): Promise<string[]> {
  const sids = Array.from({ length: count }, (_, i) => benchMessageSid(seed, i));
  for (let i = 0; i < sids.length; i += 1_000) {
    await db
      .insertInto('sms_history')
      .values(
        sids.slice(i, i + 1_000).map((sid) => ({
          message_sid: sid,
          phone_number: '+15551230000',
          direction: 'outbound',
          content: 'bench',
          user_id: null,
        })),
      )
      .execute();
  }
  return sids;
}

/** Status callbacks logged and applied so far. */
export async function appliedStatusCount(db: Db): Promise<number> {
  const row = await db
    .selectFrom('sms_status_events')
    .select((eb) => eb.fn.countAll<number>().as('count'))
    .where('applied_at', 'is not', null)
    .executeTakeFirstOrThrow();
  return Number(row.count);
}

/** The message SIDs among `sids` that have a status event row. */
export async function sidsWithStatusEvents(db: Db, sids: string[]): Promise<Set<string>> {
  const found = new Set<string>();
  for (let i = 0; i < sids.length; i += 1_000) {
    const rows = await db
      .selectFrom('sms_status_events')
      .select('message_sid')
      .where('message_sid', 'in', sids.slice(i, i + 1_000))
      .execute();
    for (const row of rows) found.add(row.message_sid);
  }
  return found;
}
