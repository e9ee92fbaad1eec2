import { existsSync, readFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from '@jest/globals';

const root = fileURLToPath(new URL('../../', import.meta.url));
const readJson = (path: string) => JSON.parse(readFileSync(join(root, path), 'utf8'));
const rootPackage = readJson('package.json') as { workspaces: string[]; dependencies?: Record<string, string> };

/** What `npm ci --omit=dev` installs: every production dependency of the root and of each workspace. */
const productionPackages = new Set(
  [rootPackage, ...rootPackage.workspaces.map((w) => readJson(`${w}/package.json`))].flatMap((pkg) =>
    Object.keys((pkg as { dependencies?: Record<string, string> }).dependencies ?? {}),
  ),
);

/** Where each workspace's entry points (`exports`) live, by import specifier. */
const workspaceEntries = new Map<string, string>();
for (const workspace of rootPackage.workspaces) {
  const pkg = readJson(`${workspace}/package.json`) as {
    name: string;
    exports: Record<string, string | { default: string }>;
  };
  for (const [subpath, target] of Object.entries(pkg.exports)) {
    // The TypeScript source (`default`); the compiled dist/ file imports the same packages.
    const file = typeof target === 'string' ? target : target.default;
    workspaceEntries.set(subpath === '.' ? pkg.name : `${pkg.name}/${subpath.slice(2)}`, join(root, workspace, file));
  }
}

const IMPORT =
  /(?:import|export)\s[^'"]*?from\s+'([^']+)'|import\(\s*'([^']+)'\s*\)|import\s+'([^']+)'|import\.meta\.resolve\(\s*'([^']+)'/g;

/** Every package a module graph imports at run time (type-only imports excluded), from its entry files. */
function packagesReachedFrom(entries: string[]): Set<string> {
  const seen = new Set<string>();
  const packages = new Set<string>();
  const queue = [...entries];
  while (queue.length > 0) {
    const file = queue.pop() as string;
    if (seen.has(file)) continue;
    seen.add(file);
    const source = readFileSync(file, 'utf8')
      .replace(/^import type .*$/gm, '')
      .replace(/^export type .*$/gm, '');
    for (const match of source.matchAll(IMPORT)) {
      const specifier = (match[1] ?? match[2] ?? match[3] ?? match[4]) as string;
      if (specifier.startsWith('.')) queue.push(resolve(dirname(file), specifier));
      else if (workspaceEntries.has(specifier)) queue.push(workspaceEntries.get(specifier) as string);
      else if (!specifier.startsWith('node:') && !builtinModules.includes(specifier)) {
        const parts = specifier.split('/');
        packages.add(specifier.startsWith('@') ? parts.slice(0, 2).join('/') : (parts[0] as string));
      }
    }
  }
  return packages;
}

const ENTRY_POINTS = [
  'db/migrate.ts',
  'scripts/start.ts',
  'scripts/jobs.ts',
  'scripts/users.ts',
  'scripts/calls.ts',
  'packages/sandbox/src/main.ts',
  'services/ingress/src/main.ts',
  'services/sms/src/main.ts',
  'services/onboarding/src/main.ts',
  'services/summarizer/src/main.ts',
  'services/summarizer/src/cli/summarize.ts',
  'services/voice/src/main.ts',
];

describe('the production image', () => {
  it.each(ENTRY_POINTS)('%s imports only production dependencies', (entry) => {
    expect(existsSync(join(root, entry))).toBe(true);
    const missing = [...packagesReachedFrom([join(root, entry)])].filter((pkg) => !productionPackages.has(pkg));
    expect(missing).toEqual([]);
  });
});
