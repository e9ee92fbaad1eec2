import { readFile } from 'node:fs/promises';
import { describe, expect, it } from '@jest/globals';
import { renderErasureOrder } from './erasure-order-docs.ts';

describe("docs/operating.md's erasure order", () => {
  it('lists the tables in the order the erasure deletes them (run `npm run docs:erasure` to regenerate)', async () => {
    const page = await readFile(new URL('../../../../docs/operating.md', import.meta.url), 'utf8');
    expect(page).toContain(renderErasureOrder());
  });
});
