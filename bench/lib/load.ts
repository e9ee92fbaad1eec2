import { spawn } from 'node:child_process';
import { configVariables, twilioCallbackUrl } from '@series-killer/shared';
import { repoPath } from './processes.ts';

/**
 * The URL Twilio signs a status callback for: the `StatusCallback` the SMS service hands it,
 * which carries the default connection overrides as its fragment (the server never sees it).
 */
export function twilioSignedStatusUrl(statusUrl: string): string {
  return twilioCallbackUrl(statusUrl, '', configVariables.TWILIO_CALLBACK_OVERRIDES.default);
}

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
  /** The status URL the server is reached at publicly; requests are signed as `twilioSignedStatusUrl` of it. */
  publicUrl: string;
  authToken: string;
  connections: number;
  durationSeconds?: number;
  amount?: number;
  /** Requests per second, spread evenly (open loop); unset: as fast as `connections` allow. */
  overallRate?: number;
  sids?: string[];
  /** Derive the i-th request's MessageSid from this seed (`benchMessageSid`) instead of a random one. */
  sidSeed?: string;
  /** The index of the first request's SID from `sidSeed`. Default 0. */
  sidOffset?: number;
  /** Seconds without an answer before a request counts as a timeout. Default 10. */
  timeoutSeconds?: number;
}

/**
 * Runs the load in a process of its own, so the generator does not share an event loop with what
 * it measures: at full speed autocannon (closed loop, `connections` requests in flight); at an
 * `overallRate`, the open-loop steady generator, since autocannon's rate cap sends each second's
 * requests in one burst at the start of the second.
 */
export function runLoad(options: LoadOptions): Promise<LoadSummary> {
  const generator = options.overallRate ? 'bench/load/steady-load.ts' : 'bench/load/autocannon-load.ts';
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [repoPath(generator), JSON.stringify(options)], {
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
