import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

/** The generated Kysely `DB` interface (re-exported as `Database`). */
export const DATABASE_TYPES_FILE = fileURLToPath(new URL('./database.types.ts', import.meta.url));

/**
 * Runs kysely-codegen against a migrated database: the public tables and auth.users.
 * With `verify`, compares with the file instead of writing it and rejects on drift.
 */
export async function generateDatabaseTypes(databaseUrl: string, { verify = false } = {}): Promise<void> {
  // Resolved here, not at import: kysely-codegen is a development dependency.
  const codegenBin = fileURLToPath(import.meta.resolve('kysely-codegen/dist/cli/bin.js'));
  await promisify(execFile)(process.execPath, [
    codegenBin,
    '--dialect=postgres',
    `--url=${databaseUrl}`,
    '--default-schema=public',
    '--include-pattern={public.*,auth.users}',
    '--type-mapping={"int8":"number"}',
    `--out-file=${DATABASE_TYPES_FILE}`,
    '--log-level=error',
    ...(verify ? ['--verify'] : []),
  ]);
}
