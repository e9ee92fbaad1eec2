// npm run docs:erasure — rewrites docs/operating.md's list of the tables an erasure empties, in order.
import { readFile, writeFile } from 'node:fs/promises';
import { replaceErasureOrder } from '@series-killer/ingress/erasure';

const pageUrl = new URL('../docs/operating.md', import.meta.url);
await writeFile(pageUrl, replaceErasureOrder(await readFile(pageUrl, 'utf8')));
console.log('docs/operating.md erasure order updated');
