// npm run db:migrate — applies db/migrations to DATABASE_URL_DIRECT (or DATABASE_URL).
import {
  ConfigError,
  loadConfigSections,
  MigrationError,
  runMigrations,
  SERVICE_CONFIG_SECTIONS,
} from '@series-killer/shared';

try {
  const config = loadConfigSections(SERVICE_CONFIG_SECTIONS['db:migrate']);
  const result = await runMigrations(config.database.directUrl, { log: (line) => console.log(line) });
  console.log(
    result.applied.length === 0
      ? `database is up to date (${result.skipped.length} migrations)`
      : `applied ${result.applied.length} migration(s)`,
  );
} catch (error) {
  if (error instanceof ConfigError || error instanceof MigrationError) console.error(error.message);
  else console.error(`migration failed: ${(error as Error).message}`);
  process.exitCode = 1;
}
