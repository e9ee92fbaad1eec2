// npm run db:codegen — regenerates packages/shared/src/db/database.types.ts from a freshly
// migrated scratch database on the DATABASE_URL_DIRECT (or DATABASE_URL) server.
import { loadConfigOrExit, runMigrations } from '@series-killer/shared';
import pg from 'pg';
import { DATABASE_TYPES_FILE, generateDatabaseTypes } from '../packages/shared/src/db/generate-types.ts';

const server = new URL(loadConfigOrExit(['database']).database.directUrl);
const scratch = `sk_codegen_${process.pid}`;
const admin = new pg.Client({ connectionString: server.toString() });
await admin.connect();
await admin.query(`CREATE DATABASE ${scratch}`);
try {
  const url = new URL(server);
  url.pathname = `/${scratch}`;
  await runMigrations(url.toString());
  await generateDatabaseTypes(url.toString());
  console.log(`wrote ${DATABASE_TYPES_FILE}`);
} catch (error) {
  console.error((error as Error).message);
  process.exitCode = 1;
} finally {
  await admin.query(`DROP DATABASE IF EXISTS ${scratch} WITH (FORCE)`);
  await admin.end();
}
