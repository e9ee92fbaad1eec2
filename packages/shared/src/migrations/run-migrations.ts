import { createHash } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import pg from 'pg';
import { type SqlStatement, splitStatements } from './split-statements.ts';

/** Where the SQL migrations live, relative to this file. */
export const MIGRATIONS_DIR = new URL('../../../../db/migrations/', import.meta.url).pathname;

const FILE_NAME = /^(\d{14})_([a-z0-9_]+)\.sql$/;
/** Any fixed 64-bit key, shared by every process that migrates this database. */
const ADVISORY_LOCK_KEY = 7_135_001_887_202_511n;

export interface Migration {
  version: string;
  name: string;
  file: string;
  sql: string;
  checksum: string;
}

/** A migration failed; the message names the file, the line and the statement. */
export class MigrationError extends Error {
  readonly file: string;
  constructor(file: string, message: string, options?: ErrorOptions) {
    super(`migration ${file} failed: ${message}`, options);
    this.name = 'MigrationError';
    this.file = file;
  }
}

export async function readMigrations(dir: string = MIGRATIONS_DIR): Promise<Migration[]> {
  const files = (await readdir(dir)).filter((file) => file.endsWith('.sql')).sort();
  return Promise.all(
    files.map(async (file) => {
      const match = FILE_NAME.exec(file);
      if (!match) throw new MigrationError(file, 'file name must be YYYYMMDDHHmmss_name.sql');
      const sql = await readFile(join(dir, file), 'utf8');
      const checksum = createHash('sha256').update(sql).digest('hex');
      return { version: match[1] as string, name: match[2] as string, file, sql, checksum };
    }),
  );
}

export interface MigrateResult {
  applied: string[];
  skipped: string[];
}

/**
 * Applies every migration not yet recorded, in order, each in its own transaction, under
 * an advisory lock so that services starting together do not race. Safe to repeat: the
 * second run applies nothing. Needs a session (a direct or session-pooler URL), not
 * Supabase's transaction-mode pooler.
 */
export async function runMigrations(
  connectionString: string,
  options: { dir?: string; log?: (line: string) => void } = {},
): Promise<MigrateResult> {
  const log = options.log ?? (() => {});
  const migrations = await readMigrations(options.dir);
  const client = new pg.Client({ connectionString, application_name: 'series-killer-migrate' });
  await client.connect();
  try {
    await client.query('SET client_min_messages = warning');
    await client.query('SELECT pg_advisory_lock($1)', [ADVISORY_LOCK_KEY.toString()]);
    await client.query(`
      CREATE SCHEMA IF NOT EXISTS series_killer_migrations;
      CREATE TABLE IF NOT EXISTS series_killer_migrations.applied (
        version text PRIMARY KEY,
        name text NOT NULL,
        checksum text NOT NULL,
        applied_at timestamptz NOT NULL DEFAULT now()
      );
      REVOKE ALL ON SCHEMA series_killer_migrations FROM PUBLIC;`);
    const { rows } = await client.query<{ version: string; checksum: string }>(
      'SELECT version, checksum FROM series_killer_migrations.applied',
    );
    const done = new Map(rows.map((row) => [row.version, row.checksum]));
    const result: MigrateResult = { applied: [], skipped: [] };
    for (const migration of migrations) {
      const recorded = done.get(migration.version);
      if (recorded !== undefined) {
        if (recorded !== migration.checksum)
          log(`warning: ${migration.file} changed after it was applied; it is not applied again`);
        result.skipped.push(migration.file);
        continue;
      }
      await applyOne(client, migration);
      log(`applied ${migration.file}`);
      result.applied.push(migration.file);
    }
    return result;
  } finally {
    await client.query('SELECT pg_advisory_unlock_all()').catch(() => {});
    await client.end();
  }
}

async function applyOne(client: pg.Client, migration: Migration): Promise<void> {
  await client.query('BEGIN');
  let current: SqlStatement | undefined;
  try {
    for (const statement of splitStatements(migration.sql)) {
      current = statement;
      await client.query(statement.text);
    }
    current = undefined;
    await client.query('INSERT INTO series_killer_migrations.applied (version, name, checksum) VALUES ($1, $2, $3)', [
      migration.version,
      migration.name,
      migration.checksum,
    ]);
    await client.query('COMMIT');
  } catch (error) {
    await client.query('ROLLBACK').catch(() => {});
    const where = current ? ` at line ${current.line}: ${current.text.replace(/\s+/g, ' ').slice(0, 200)}` : '';
    throw new MigrationError(migration.file, `${(error as Error).message}${where}`, { cause: error });
  }
}
