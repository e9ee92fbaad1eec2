import { sql } from 'kysely';
import type { Db } from './create-db.ts';

/** Advisory-lock class of message SIDs (the other key is the SID's hash). */
const MESSAGE_SID_LOCK_CLASS = 7135;

/**
 * Serialises, until the transaction ends, every transaction that records a message, applies
 * its status events or erases it, so a pending event and the send that would apply it (or the
 * erasure that removes it) can never pass each other unseen. Taken in SID order, so concurrent
 * batches never deadlock.
 */
export async function lockMessageSids(db: Db, messageSids: readonly string[]): Promise<void> {
  const sorted = [...new Set(messageSids)].sort();
  await sql`
    select pg_advisory_xact_lock(${MESSAGE_SID_LOCK_CLASS}, hashtext(sid))
    from (select sid from unnest(${sorted}::text[]) as sid order by sid) as sids
  `.execute(db);
}
