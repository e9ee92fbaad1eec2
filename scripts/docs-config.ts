// npm run docs:config — rewrites the README's configuration table from the config schema.
import { readFile, writeFile } from 'node:fs/promises';
import { replaceConfigTable } from '@series-killer/shared';

const readmeUrl = new URL('../README.md', import.meta.url);
await writeFile(readmeUrl, replaceConfigTable(await readFile(readmeUrl, 'utf8')));
console.log('README configuration table updated');
