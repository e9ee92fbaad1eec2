import { createHash, randomBytes } from 'node:crypto';
import pg from 'pg';
import { createDb, type Db } from '../db/create-db.ts';
import { readMigrations, runMigrations } from '../migrations/run-migrations.ts';

/** The server tests run against; each test file gets its own database on it. */
export const TEST_POSTGRES_URL =
  process.env.TEST_DATABASE_URL ?? 'postgres://postgres:postgres@127.0.0.1:5432/postgres';

const TEMPLATE_LOCK_KEY = 7_135_001_887_202_512n;

function databaseUrl(name: string): string {
  const url = new URL(TEST_POSTGRES_URL);
  url.pathname = `/${name}`;
  return url.toString();
}

async function withAdmin<T>(fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: TEST_POSTGRES_URL });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

/**
 * A database migrated once per set of migrations: its name carries their checksum, so a
 * changed migration builds a new one. Built under an advisory lock and renamed into place,
 * so parallel test files never see it half-made.
 */
export async function ensureTemplateDatabase(): Promise<string> {
  const migrations = await readMigrations();
  const digest = createHash('sha256')
    .update(migrations.map((m) => m.checksum).join())
    .digest('hex')
    .slice(0, 12);
  const template = `sk_template_${digest}`;
  return withAdmin(async (admin) => {
    await admin.query('SELECT pg_advisory_lock($1)', [TEMPLATE_LOCK_KEY.toString()]);
    try {
      const exists = await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [template]);
      if (exists.rowCount) return template;
      const building = `${template}_building`;
      await admin.query(`DROP DATABASE IF EXISTS ${building} WITH (FORCE)`);
      await admin.query(`CREATE DATABASE ${building}`);
      await runMigrations(databaseUrl(building));
      await admin.query(`ALTER DATABASE ${building} RENAME TO ${template}`);
      return template;
    } finally {
      await admin.query('SELECT pg_advisory_unlock($1)', [TEMPLATE_LOCK_KEY.toString()]);
    }
  });
}

/**
 * Drops a test database once its own connections are gone: pg's `pool.end()` resolves before
 * the sockets have closed, and a forced drop would kill those mid-close with an error.
 */
async function dropDatabase(name: string): Promise<void> {
  await withAdmin(async (admin) => {
    const deadline = Date.now() + 5_000;
    for (;;) {
      const { rows } = await admin.query<{ count: string }>(
        'SELECT count(*) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()',
        [name],
      );
      if (Number(rows[0]?.count) === 0 || Date.now() > deadline) break;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  });
}

export interface TestDatabase {
  name: string;
  url: string;
  db: Db;
  /** Closes the pool and drops the database. */
  drop(): Promise<void>;
}

/** A fresh, fully migrated database for one test file, cloned from the template. */
export async function createTestDatabase(): Promise<TestDatabase> {
  const template = await ensureTemplateDatabase();
  const name = `sk_test_${randomBytes(6).toString('hex')}`;
  await withAdmin((admin) => admin.query(`CREATE DATABASE ${name} TEMPLATE ${template}`));
  const url = databaseUrl(name);
  const db = createDb({ url, poolSize: 5 }, 'series-killer-test');
  return {
    name,
    url,
    db,
    async drop() {
      await db.destroy();
      await dropDatabase(name);
    },
  };
}

/** An empty, unmigrated database (for migration tests). */
export async function createEmptyDatabase(): Promise<{ name: string; url: string; drop(): Promise<void> }> {
  const name = `sk_test_empty_${randomBytes(6).toString('hex')}`;
  await withAdmin((admin) => admin.query(`CREATE DATABASE ${name}`));
  return {
    name,
    url: databaseUrl(name),
    drop: () => dropDatabase(name),
  };
}
