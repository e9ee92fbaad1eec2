import { sql } from 'kysely';
import type { Db } from './create-db.ts';

/** Advisory-lock class of message SIDs (the other key is the SID's hash). */
const MESSAGE_SID_LOCK_CLASS = 7135;

/**
 * Serialises, until the transaction ends, every transaction that records a message, applies
 * its status events or erases it, so a pending event and the send that would apply it (or the
 * erasure that removes it) can never pass each other unseen. A SID's lock key is a 32-bit hash,
 * so two SIDs may share one: that only makes them wait for each other, provided every
 * transaction takes its keys in key order, which is why they are sorted by key and not by SID
 * (x < w < y with x and y sharing a key would lock [x, w] and [w, y] in opposite key orders,
 * and deadlock).
 */
export async function lockMessageSids(db: Db, messageSids: readonly string[]): Promise<void> {
  await sql`
    select pg_advisory_xact_lock(${MESSAGE_SID_LOCK_CLASS}, key)
    from (select distinct hashtext(sid) as key from unnest(${[...messageSids]}::text[]) as sid order by key) as keys
  `.execute(db);
}
