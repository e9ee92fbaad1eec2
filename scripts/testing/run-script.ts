import { spawn } from 'node:child_process';

/** How a script run as its own process ended: its exit code and everything it printed. */
export interface ScriptRun {
  code: number | null;
  output: string;
}

/** Runs a TypeScript entry point in a Node process of its own and collects stdout and stderr together. */
export function runScript(entry: string, args: string[], env: Record<string, string | undefined>): Promise<ScriptRun> {
  const child = spawn(process.execPath, [entry, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  const collect = (chunk: Buffer) => {
    output += chunk;
  };
  child.stdout.on('data', collect);
  child.stderr.on('data', collect);
  return new Promise((resolve) => child.once('exit', (code) => resolve({ code, output })));
}
