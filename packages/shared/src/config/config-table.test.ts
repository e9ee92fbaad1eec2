import { readFile } from 'node:fs/promises';
import { describe, expect, it } from '@jest/globals';
import { renderConfigTable } from './config-table.ts';

describe('README configuration table', () => {
  it('agrees with the config schema (run `npm run docs:config` to regenerate)', async () => {
    const readme = await readFile(new URL('../../../../README.md', import.meta.url), 'utf8');
    expect(readme).toContain(renderConfigTable());
  });
});
