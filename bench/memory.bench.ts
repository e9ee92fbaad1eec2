// Memory: each process of the stack started on its own as `npm start` starts it (sandbox mode, a
// database and queue prefix of its own), left idle, and its resident set size read from /proc
// once it has settled.
import { readFile } from 'node:fs/promises';
import { createTestDatabase, createTestQueuePrefix, deleteQueuePrefix, freePort } from '@series-killer/shared/testing';
import { serviceNodeOptions } from '../scripts/stack/stack-processes.ts';
import { type RunningProcess, repoPath, startProcess, waitForOutput } from './lib/processes.ts';
import type { BenchResult } from './lib/results.ts';

/** Idle RSS goals in MB: a small VM must hold the whole stack. */
const PROCESSES = [
  { name: 'ingress', entry: 'services/ingress/src/main.ts', goalMb: 120 },
  { name: 'sms', entry: 'services/sms/src/main.ts', goalMb: 100 },
  { name: 'onboarding', entry: 'services/onboarding/src/main.ts', goalMb: 100 },
  { name: 'summarizer', entry: 'services/summarizer/src/main.ts', goalMb: 100 },
] as const;

/** Time an idle process is left after start-up before it is measured, in ms: lazy start-up work settles. */
const SETTLE_MS = 5_000;
/** Readings taken per process, 1 s apart; the median is reported. */
const READINGS = 5;

async function rssMb(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  const kb = Number(/^VmRSS:\s+(\d+) kB$/m.exec(status)?.[1]);
  return Math.round(kb / 1024);
}

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function idleRss(entry: string, env: Record<string, string>): Promise<number> {
  let proc: RunningProcess | undefined;
  try {
    // Run as `npm start` runs it.
    proc = startProcess(repoPath(entry), { ...env, LOG_LEVEL: 'info', NODE_OPTIONS: serviceNodeOptions() });
    await waitForOutput(proc, '"msg":"started"', 60_000);
    await pause(SETTLE_MS);
    const readings: number[] = [];
    for (let i = 0; i < READINGS; i += 1) {
      readings.push(await rssMb(proc.pid));
      await pause(1_000);
    }
    return readings.sort((a, b) => a - b)[Math.floor(READINGS / 2)] as number;
  } finally {
    await proc?.stop();
  }
}

async function memory(): Promise<BenchResult> {
  const testDb = await createTestDatabase();
  await testDb.db.destroy();
  const prefix = createTestQueuePrefix();
  const port = await freePort();
  const env = {
    DATABASE_URL: testDb.url,
    QUEUE_PREFIX: prefix,
    PORT: String(port),
    PUBLIC_BASE_URL: `http://127.0.0.1:${port}`,
    SANDBOX_PORT: String(await freePort()),
  };
  try {
    const figures: Record<string, number> = {};
    // One at a time, so that the processes do not compete while they start.
    for (const { name, entry } of PROCESSES) figures[name] = await idleRss(entry, env);
    return {
      name: 'memory',
      goals: PROCESSES.map(({ name, goalMb }) => ({
        goal: `${name} idle RSS ≤ ${goalMb} MB`,
        value: `${figures[name]} MB`,
        met: (figures[name] ?? Number.POSITIVE_INFINITY) <= goalMb,
      })),
      figures: { idleRssMb: figures, settleMs: SETTLE_MS, readings: READINGS },
    };
  } finally {
    await deleteQueuePrefix(prefix);
    await testDb.drop();
  }
}

export const benchmarks = { memory };
