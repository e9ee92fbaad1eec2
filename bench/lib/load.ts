import { spawn } from 'node:child_process';
import { repoPath } from './processes.ts';

export interface LoadSummary {
  requestsPerSecond: number;
  total: number;
  latencyP50Ms: number;
  latencyP99Ms: number;
  latencyMaxMs: number;
  non2xx: number;
  errors: number;
  timeouts: number;
  ok: number;
  durationSeconds: number;
}

export interface LoadOptions {
  target: string;
  publicUrl: string;
  authToken: string;
  connections: number;
  durationSeconds?: number;
  amount?: number;
  overallRate?: number;
  sids?: string[];
  /** Derive the i-th request's MessageSid from this seed (`benchMessageSid`) instead of a random one. */
  sidSeed?: string;
  /** Seconds without an answer before a request counts as a timeout. Default 10. */
  timeoutSeconds?: number;
}

/** Runs autocannon in its own process, so the load generator does not share an event loop with what it measures. */
export function runLoad(options: LoadOptions): Promise<LoadSummary> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [repoPath('bench/load/autocannon-load.ts'), JSON.stringify(options)], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (chunk) => {
      out += chunk;
    });
    child.stderr.on('data', (chunk) => {
      err += chunk;
    });
    child.on('exit', (code) => {
      const line = out.trim().split('\n').pop() ?? '';
      if (code !== 0 || !line.startsWith('{'))
        return reject(new Error(`load generator failed (${code}): ${err}${out}`));
      resolve(JSON.parse(line) as LoadSummary);
    });
  });
}
