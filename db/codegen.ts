// npm run db:codegen — regenerates packages/shared/src/db/database.types.ts from a freshly
// migrated scratch database. `npm run db:codegen -- --verify` fails when the file has drifted.
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { loadConfig, runMigrations } from '@series-killer/shared';
import pg from 'pg';

export const TYPES_FILE = fileURLToPath(new URL('../packages/shared/src/db/database.types.ts', import.meta.url));
const CODEGEN_BIN = fileURLToPath(new URL('../node_modules/kysely-codegen/dist/cli/bin.js', import.meta.url));

/** Runs kysely-codegen against a migrated database; `verify` compares instead of writing. */
export function generateTypes(databaseUrl: string, verify: boolean): void {
  execFileSync(
    process.execPath,
    [
      CODEGEN_BIN,
      '--dialect=postgres',
      `--url=${databaseUrl}`,
      '--default-schema=public',
      '--include-pattern={public.*,auth.users}',
      '--type-mapping={"int8":"number"}',
      `--out-file=${TYPES_FILE}`,
      '--log-level=error',
      ...(verify ? ['--verify'] : []),
    ],
    { stdio: 'inherit' },
  );
}

async function main(): Promise<void> {
  const verify = process.argv.includes('--verify');
  const base = new URL(loadConfig().database.directUrl);
  const scratch = `sk_codegen_${process.pid}`;
  const admin = new pg.Client({ connectionString: base.toString() });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${scratch}`);
  try {
    const url = new URL(base);
    url.pathname = `/${scratch}`;
    await runMigrations(url.toString());
    generateTypes(url.toString(), verify);
    console.log(verify ? 'database types are up to date' : `wrote ${TYPES_FILE}`);
  } finally {
    await admin.query(`DROP DATABASE IF EXISTS ${scratch} WITH (FORCE)`);
    await admin.end();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  main().catch((error: Error) => {
    console.error(error.message);
    process.exitCode = 1;
  });
}
