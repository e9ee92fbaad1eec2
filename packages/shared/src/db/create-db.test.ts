import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { sql } from 'kysely';
import { createLogger } from '../logging/logger.ts';
import { createTestDatabase, type TestDatabase } from '../testing/test-database.ts';
import { waitFor } from '../testing/wait-for.ts';
import { createDb } from './create-db.ts';

describe('createDb', () => {
  let testDb: TestDatabase;
  beforeAll(async () => {
    testDb = await createTestDatabase();
  });
  afterAll(() => testDb.drop());

  it('survives Postgres ending its idle connections (as a restart does), logging it and reconnecting', async () => {
    const lines: string[] = [];
    const logger = createLogger(
      'test',
      'warn',
      new Writable({
        write(chunk, _encoding, done) {
          lines.push(chunk.toString());
          done();
        },
      }),
    );
    const db = createDb({ url: testDb.url, poolSize: 2 }, 'series-killer-idle-test', logger);
    try {
      await sql`select 1`.execute(db);
      await sql`select pg_terminate_backend(pid) from pg_stat_activity
        where application_name = 'series-killer-idle-test'`.execute(testDb.db);
      await waitFor('the lost connection to be logged', () =>
        lines.some((l) => l.includes('idle database connection lost')),
      );
      const { rows } = await sql<{ answer: number }>`select 42 as answer`.execute(db);
      expect(rows[0]?.answer).toBe(42);
    } finally {
      await db.destroy();
    }
  });

  it('survives Postgres ending a connection in the middle of a transaction: the transaction fails, the process lives', async () => {
    const db = createDb({ url: testDb.url, poolSize: 2 }, 'series-killer-busy-test', createLogger('test', 'silent'));
    try {
      let resume: () => void = () => {};
      const paused = new Promise<void>((resolve) => {
        resume = resolve;
      });
      let inTransaction: () => void = () => {};
      const started = new Promise<void>((resolve) => {
        inTransaction = resolve;
      });
      const transaction = db.transaction().execute(async (trx) => {
        await sql`select 1`.execute(trx);
        inTransaction();
        await paused;
        await sql`select 2`.execute(trx);
      });
      await started;
      await sql`select pg_terminate_backend(pid) from pg_stat_activity
        where application_name = 'series-killer-busy-test'`.execute(testDb.db);
      await waitFor('the connection to be gone', async () => {
        const { rows } = await sql<{ n: number }>`select count(*)::int as n from pg_stat_activity
          where application_name = 'series-killer-busy-test'`.execute(testDb.db);
        return rows[0]?.n === 0;
      });
      resume();
      await expect(transaction).rejects.toThrow();
      const { rows } = await sql<{ answer: number }>`select 7 as answer`.execute(db);
      expect(rows[0]?.answer).toBe(7);
    } finally {
      await db.destroy();
    }
  });
});
