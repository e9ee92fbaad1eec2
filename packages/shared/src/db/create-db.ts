import { Kysely, PostgresDialect } from 'kysely';
import pg from 'pg';
import type { Logger } from 'pino';
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
  logger?: Logger,
): Db {
  const pool = new pg.Pool({
    connectionString: database.url,
    max: database.poolSize,
    application_name: applicationName,
    connectionTimeoutMillis: 5_000,
    idleTimeoutMillis: 30_000,
  });
  // A connection that Postgres ends (a restart, a failover) is reported on the pool when idle and
  // on the client when checked out between two statements; unlistened, either event would end
  // the process. The pool drops the connection, and a statement on it fails (so its job retries).
  pool.on('error', (error) => logger?.warn({ err: error }, 'idle database connection lost'));
  pool.on('connect', (client) => {
    client.on('error', (error) => logger?.warn({ err: error }, 'database connection lost'));
  });
  return new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
}
