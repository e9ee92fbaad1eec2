import { Kysely, PostgresDialect } from 'kysely';
import pg from 'pg';
import type { Config } from '../config/load-config.ts';
import type { DB } from './database.types.ts';

/** The database schema, generated from the migrated database (npm run db:codegen). */
export type Database = DB;

// Postgres bigint (int8) ids fit comfortably in a JS number for this product's tables.
pg.types.setTypeParser(pg.types.builtins.INT8, (value) => Number.parseInt(value, 10));

export type Db = Kysely<Database>;

/**
 * Kysely over a pg pool of `DATABASE_POOL_SIZE` connections. Queries use unnamed prepared
 * statements and no session state, so the pool also works through Supabase's
 * transaction-mode pooler.
 */
export function createDb(
  database: Pick<Config['database'], 'url' | 'poolSize'>,
  applicationName = 'series-killer',
): Db {
  const pool = new pg.Pool({
    connectionString: database.url,
    max: database.poolSize,
    application_name: applicationName,
    connectionTimeoutMillis: 5_000,
    idleTimeoutMillis: 30_000,
  });
  return new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
}
