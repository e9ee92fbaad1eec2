import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = (path: string) => fileURLToPath(new URL(`../../${path}`, import.meta.url));

/** The `npm run build` project: every workspace compiled to JavaScript in its own dist/. */
const BUILD_PROJECT = root('tsconfig.build.json');
const TSC = root('node_modules/typescript/bin/tsc');

export class BuildError extends Error {
  override name = 'BuildError';
}

/**
 * Compiles the workspaces to dist/ (`tsc -b`, which rebuilds only what changed since the last
 * build and takes a second or two when nothing did), so the stack runs the compiled JavaScript.
 */
export function buildServices(): Promise<void> {
  // Installed without dev dependencies (the Docker image), TypeScript is absent and dist/ came built.
  if (!existsSync(TSC)) {
    return existsSync(root('services/ingress/dist/main.js'))
      ? Promise.resolve()
      : Promise.reject(
          new BuildError('dist/ is missing and TypeScript is not installed: run npm ci, then npm run build'),
        );
  }
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [TSC, '-b', BUILD_PROJECT], { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout?.on('data', (chunk) => {
      output += chunk;
    });
    child.stderr?.on('data', (chunk) => {
      output += chunk;
    });
    child.once('error', (error) => reject(new BuildError('could not run the TypeScript compiler', { cause: error })));
    child.once('exit', (code) =>
      code === 0 ? resolve() : reject(new BuildError(`npm run build failed (exit ${code}):\n${output}`)),
    );
  });
}
