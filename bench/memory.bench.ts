// Memory: each process of the stack started on its own as `npm start` starts it (compiled, sandbox
// mode, a database and queue prefix of its own), left idle, and its resident set size read from
// /proc once it has settled.
import { readFile } from 'node:fs/promises';
import { createTestDatabase, createTestQueuePrefix, deleteQueuePrefix, freePort } from '@series-killer/shared/testing';
import { buildServices } from '../scripts/stack/build-services.ts';
import {
  COMPILED_ENTRY_POINTS,
  INGRESS_NODE_FLAGS,
  serviceNodeOptions,
  VOICE_NODE_FLAGS,
  VOICE_PROCESS_ENV,
  WORKER_NODE_FLAGS,
} from '../scripts/stack/stack-processes.ts';
import { type RunningProcess, startProcess, waitForOutput } from './lib/processes.ts';
import type { BenchResult } from './lib/results.ts';

/** Idle RSS goals in MB: a small VM must hold the whole stack. */
const PROCESSES = [
  { name: 'ingress', entry: COMPILED_ENTRY_POINTS.ingress, nodeArgs: INGRESS_NODE_FLAGS, goalMb: 120 },
  { name: 'sms', entry: COMPILED_ENTRY_POINTS.sms, nodeArgs: WORKER_NODE_FLAGS, goalMb: 100 },
  { name: 'onboarding', entry: COMPILED_ENTRY_POINTS.onboarding, nodeArgs: WORKER_NODE_FLAGS, goalMb: 100 },
  { name: 'summarizer', entry: COMPILED_ENTRY_POINTS.summarizer, nodeArgs: WORKER_NODE_FLAGS, goalMb: 100 },
  {
    name: 'voice',
    entry: COMPILED_ENTRY_POINTS.voice,
    nodeArgs: VOICE_NODE_FLAGS,
    processEnv: VOICE_PROCESS_ENV,
    goalMb: 100,
  },
] as const;

/** Time an idle process is left after start-up before it is measured, in ms: lazy start-up work settles. */
const SETTLE_MS = 5_000;
/** Readings taken per process, 1 s apart; the median is reported. */
const READINGS = 5;

interface Reading {
  /** Resident set size, MB: what the goal is about. */
  rss: number;
  /** Resident pages the process does not share with the others (anonymous memory: heap, code V8 compiled), MB. */
  anonymous: number;
}

async function readMemory(pid: number): Promise<Reading> {
  const rollup = await readFile(`/proc/${pid}/smaps_rollup`, 'utf8');
  const mb = (field: string) =>
    Math.round(Number(new RegExp(`^${field}:\\s+(\\d+) kB$`, 'm').exec(rollup)?.[1]) / 1024);
  return { rss: mb('Rss'), anonymous: mb('Anonymous') };
}

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function idleMemory(entry: string, nodeArgs: string[], env: Record<string, string>): Promise<Reading> {
  let proc: RunningProcess | undefined;
  try {
    // Run as `npm start` runs it.
    proc = startProcess(entry, { ...env, LOG_LEVEL: 'info', NODE_OPTIONS: serviceNodeOptions() }, nodeArgs);
    await waitForOutput(proc, '"msg":"started"', 60_000);
    await pause(SETTLE_MS);
    const readings: Reading[] = [];
    for (let i = 0; i < READINGS; i += 1) {
      readings.push(await readMemory(proc.pid));
      await pause(1_000);
    }
    return readings.sort((a, b) => a.rss - b.rss)[Math.floor(READINGS / 2)] as Reading;
  } finally {
    await proc?.stop();
  }
}

async function memory(): Promise<BenchResult> {
  await buildServices();
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
    VOICE_PORT: String(await freePort()),
  };
  try {
    const figures: Record<string, Reading> = {};
    // One at a time, so that the processes do not compete while they start.
    for (const spec of PROCESSES) {
      const processEnv = 'processEnv' in spec ? spec.processEnv : {};
      figures[spec.name] = await idleMemory(spec.entry, spec.nodeArgs, { ...env, ...processEnv });
    }
    return {
      name: 'memory',
      goals: PROCESSES.map(({ name, goalMb }) => ({
        goal: `${name} idle RSS ≤ ${goalMb} MB`,
        value: `${figures[name]?.rss} MB (${figures[name]?.anonymous} MB anonymous)`,
        met: (figures[name]?.rss ?? Number.POSITIVE_INFINITY) <= goalMb,
      })),
      figures: { idleMb: figures, settleMs: SETTLE_MS, readings: READINGS },
    };
  } finally {
    await deleteQueuePrefix(prefix);
    await testDb.drop();
  }
}

export const benchmarks = { memory };
