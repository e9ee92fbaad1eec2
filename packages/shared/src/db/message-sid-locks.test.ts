import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { sql } from 'kysely';
import { createTestDatabase, type TestDatabase } from '../testing/test-database.ts';
import { waitFor } from '../testing/wait-for.ts';
import type { Db } from './create-db.ts';
import { lockMessageSids } from './message-sid-locks.ts';

let testDb: TestDatabase;

beforeAll(async () => {
  testDb = await createTestDatabase();
});

afterAll(async () => {
  await testDb.drop();
});

/** Two SID-shaped strings whose 32-bit lock keys (hashtext) are equal, x < y. */
async function collidingSids(db: Db): Promise<{ x: string; y: string }> {
  const { rows } = await sql<{ x: string; y: string }>`
    with sids as materialized (
      select 'SM' || md5(i::text) as sid, hashtext('SM' || md5(i::text)) as key from generate_series(1, 300000) as i
    )
    select a.sid as x, b.sid as y from sids a join sids b on a.key = b.key and a.sid < b.sid
    order by a.sid limit 1
  `.execute(db);
  const pair = rows[0];
  if (!pair) throw new Error('no two SIDs with the same lock key among 300,000');
  return pair;
}

/** Locks these SIDs in a transaction, which ends once `release` resolves. */
function lockedTransaction(sids: string[], release: Promise<void> = Promise.resolve()): Promise<void> {
  return testDb.db.transaction().execute(async (trx) => {
    await lockMessageSids(trx, sids);
    await release;
  });
}

/** Advisory locks of this database held (`granted`) or waited for. */
async function advisoryLocks(granted: boolean): Promise<number> {
  const { rows } = await sql<{ count: string }>`
    select count(*) from pg_locks where locktype = 'advisory' and granted = ${granted}
      and database = (select oid from pg_database where datname = current_database())
  `.execute(testDb.db);
  return Number(rows[0]?.count);
}

describe('message SID locks', () => {
  it('never deadlock two transactions whose SIDs share a lock key, taken in opposite SID orders', async () => {
    const { x, y } = await collidingSids(testDb.db);
    const w = `${x}0`; // x < w < y
    let release = () => {};
    const blocking = lockedTransaction(
      [x],
      new Promise<void>((resolve) => {
        release = resolve;
      }),
    );
    // The first waits for x's key; the second then takes w's and waits for y's, which is x's.
    await waitFor('the blocker to hold the key', async () => (await advisoryLocks(true)) === 1);
    const first = lockedTransaction([x, w]);
    await waitFor('the first transaction to wait', async () => (await advisoryLocks(false)) === 1);
    const second = lockedTransaction([w, y]);
    await waitFor('the second transaction to wait', async () => (await advisoryLocks(false)) === 2);
    release();

    const outcomes = await Promise.allSettled([blocking, first, second]);
    expect(outcomes.map((outcome) => (outcome.status === 'rejected' ? String(outcome.reason) : 'done'))).toEqual([
      'done',
      'done',
      'done',
    ]);
  });
});
