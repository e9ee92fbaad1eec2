import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from '@jest/globals';
import { buildServices } from './build-services.ts';
import { COMPILED_ENTRY_POINTS, serviceNodeOptions } from './stack-processes.ts';

const root = fileURLToPath(new URL('../../', import.meta.url));

/** Where a process started with `nodeOptions` resolves `specifier`. */
function resolvedBy(nodeOptions: string, specifier: string): string {
  const script = `console.log(import.meta.resolve(${JSON.stringify(specifier)}))`;
  return execFileSync(process.execPath, ['--input-type=module', '-e', script], {
    cwd: root,
    env: { ...process.env, NODE_OPTIONS: nodeOptions },
    encoding: 'utf8',
  }).trim();
}

describe('npm run build', () => {
  it('compiles every entry point npm start runs', async () => {
    // A full build on a busy two-core machine takes a minute or more; an up-to-date one seconds.
    await buildServices();
    for (const entry of Object.values(COMPILED_ENTRY_POINTS)) expect(existsSync(entry)).toBe(true);
  }, 300_000);

  it('makes the workspace packages resolve to their dist/ in service processes, and to their sources elsewhere', () => {
    expect(resolvedBy(serviceNodeOptions({}), '@series-killer/shared')).toMatch(/\/packages\/shared\/dist\/index\.js$/);
    expect(resolvedBy(serviceNodeOptions({}), '@series-killer/shared/twilio')).toMatch(
      /\/packages\/shared\/dist\/twilio\/twilio-client\.js$/,
    );
    expect(resolvedBy('', '@series-killer/shared')).toMatch(/\/packages\/shared\/src\/index\.ts$/);
  });
});
