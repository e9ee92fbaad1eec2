import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from '@jest/globals';
import { localCredentials, readLocalCredentials } from './local-credentials.ts';

describe('local credentials', () => {
  const dir = mkdtempSync(join(tmpdir(), 'sk-credentials-'));
  const file = join(dir, '.local', 'credentials.env');
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('are made once, kept readable by their owner only, and the same on every later start', () => {
    expect(readLocalCredentials(file)).toEqual({});
    const first = localCredentials(file);
    expect(first.INTERNAL_API_TOKEN).toMatch(/^[\w-]{32}$/);
    expect(first.DASHBOARD_USER).toBe('admin');
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(localCredentials(file)).toEqual(first);
    expect(readLocalCredentials(file)).toEqual(first);
    expect(readFileSync(file, 'utf8')).toContain(`INTERNAL_API_TOKEN=${first.INTERNAL_API_TOKEN}\n`);
  });
});
