import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import pg from 'pg';
import { createEmptyDatabase } from '../testing/test-database.ts';
import { MigrationError, readMigrations, runMigrations } from './run-migrations.ts';

/** Everything a migration could change, as text: tables, columns, constraints, indexes, policies, functions, grants. */
async function schemaFingerprint(url: string): Promise<string> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const queries = [
      `SELECT table_schema, table_name, column_name, data_type, is_nullable, column_default
         FROM information_schema.columns WHERE table_schema IN ('public', 'auth') ORDER BY 1, 2, 3`,
      `SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid) FROM pg_constraint
         WHERE connamespace IN ('public'::regnamespace, 'auth'::regnamespace) ORDER BY 1, 2`,
      `SELECT schemaname, indexname, indexdef FROM pg_indexes WHERE schemaname IN ('public', 'auth') ORDER BY 1, 2`,
      `SELECT tablename, policyname, cmd, roles::text, qual, with_check FROM pg_policies ORDER BY 1, 2`,
      `SELECT p.oid::regprocedure::text, md5(p.prosrc) FROM pg_proc p
         WHERE p.pronamespace IN ('public'::regnamespace, 'auth'::regnamespace) ORDER BY 1`,
      `SELECT table_name, grantee, privilege_type FROM information_schema.role_table_grants
         WHERE table_schema = 'public' ORDER BY 1, 2, 3`,
      `SELECT tgrelid::regclass::text, tgname FROM pg_trigger WHERE NOT tgisinternal ORDER BY 1, 2`,
    ];
    const results = [];
    for (const query of queries) results.push((await client.query(query)).rows);
    return JSON.stringify(results);
  } finally {
    await client.end();
  }
}

describe('runMigrations', () => {
  let database: Awaited<ReturnType<typeof createEmptyDatabase>>;
  let badDir: string;

  beforeAll(async () => {
    database = await createEmptyDatabase();
    badDir = await mkdtemp(join(tmpdir(), 'sk-migrations-'));
  });

  afterAll(async () => {
    await database.drop();
    await rm(badDir, { recursive: true, force: true });
  });

  it('applies every migration once; a second run changes nothing', async () => {
    const files = (await readMigrations()).map((m) => m.file);

    const first = await runMigrations(database.url);
    expect(first.applied).toEqual(files);
    const afterFirst = await schemaFingerprint(database.url);

    const second = await runMigrations(database.url);
    expect(second.applied).toEqual([]);
    expect(second.skipped).toEqual(files);
    expect(await schemaFingerprint(database.url)).toBe(afterFirst);
  });

  it('lets two processes migrate at once without racing', async () => {
    const fresh = await createEmptyDatabase();
    try {
      const [a, b] = await Promise.all([runMigrations(fresh.url), runMigrations(fresh.url)]);
      const total = (await readMigrations()).length;
      expect(a.applied.length + b.applied.length).toBe(total);
      expect([a.applied.length, b.applied.length]).toContain(0);
    } finally {
      await fresh.drop();
    }
  });

  it('names the file, line and statement that failed, and rolls that file back', async () => {
    await writeFile(join(badDir, '20990101000000_good.sql'), 'CREATE TABLE public.good_one (id int);\n');
    await writeFile(
      join(badDir, '20990101000100_broken.sql'),
      'CREATE TABLE public.half_done (id int);\n\nALTER TABLE public.no_such_table ADD COLUMN x int;\n',
    );
    const target = await createEmptyDatabase();
    try {
      const failure = runMigrations(target.url, { dir: badDir });
      await expect(failure).rejects.toBeInstanceOf(MigrationError);
      await expect(failure).rejects.toThrow(
        /20990101000100_broken\.sql failed: relation "public\.no_such_table" does not exist at line 3: ALTER TABLE public\.no_such_table ADD COLUMN x int$/,
      );
      const client = new pg.Client({ connectionString: target.url });
      await client.connect();
      const tables = await client.query(
        "SELECT to_regclass('public.good_one') AS good, to_regclass('public.half_done') AS half",
      );
      await client.end();
      expect(tables.rows[0]).toEqual({ good: 'good_one', half: null });
    } finally {
      await target.drop();
    }
  });

  it('rejects a file whose name does not follow the Supabase CLI convention', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'sk-migrations-'));
    await writeFile(join(dir, 'create_things.sql'), 'SELECT 1;');
    await expect(readMigrations(dir)).rejects.toThrow(
      /create_things\.sql failed: file name must be YYYYMMDDHHmmss_name\.sql/,
    );
    await rm(dir, { recursive: true, force: true });
  });
});
