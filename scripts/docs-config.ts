// npm run docs:config — writes docs/configuration.md and .env.example from the config schema.
import { mkdir, writeFile } from 'node:fs/promises';
import { CONFIG_DOCS_PATH, ENV_EXAMPLE_PATH, renderConfigDocs, renderEnvExample } from '@series-killer/shared';

const root = new URL('../', import.meta.url);
await mkdir(new URL('docs/', root), { recursive: true });
await writeFile(new URL(CONFIG_DOCS_PATH, root), renderConfigDocs());
await writeFile(new URL(ENV_EXAMPLE_PATH, root), renderEnvExample());
console.log(`${CONFIG_DOCS_PATH} and ${ENV_EXAMPLE_PATH} updated`);
