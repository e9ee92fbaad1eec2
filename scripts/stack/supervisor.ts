import { type ChildProcess, spawn } from 'node:child_process';
import { pipeWithPrefix, prefixFor } from './log-lines.ts';

export interface ProcessSpec {
  /** Shown in front of every log line, e.g. `sms-2`. */
  name: string;
  /** The entry point (TypeScript or compiled JavaScript), run with this Node. */
  entry: string;
  /** Flags for Node itself, before the entry point. */
  nodeArgs?: string[];
  env?: Record<string, string>;
}

/** Restart delays: 1 s doubling to 30 s; a process that stayed up a minute starts again from 1 s. */
const FIRST_RESTART_MS = 1_000;
const MAX_RESTART_MS = 30_000;
const STABLE_AFTER_MS = 60_000;
/** How long a process may take to stop after SIGTERM before it is killed (services stop themselves within 9 s). */
const STOP_TIMEOUT_MS = 12_000;

interface Supervised {
  spec: ProcessSpec;
  index: number;
  child?: ChildProcess;
  startedAt: number;
  restartDelayMs: number;
  restartTimer?: NodeJS.Timeout;
  /** Whether the running child has said it started (runService's `started` message). */
  started: boolean;
}

export interface Supervisor {
  /** Resolves once every process has said it started (each restart says so again). */
  allStarted(): Promise<void>;
  /** Sends SIGTERM to every process, waits for all to exit (SIGKILL after 12 s). */
  stop(): Promise<void>;
}

/**
 * Runs each process as a child with prefixed logs. A process that dies is reported and
 * restarted with backoff, so one crashing worker does not take the stack down.
 */
export function superviseProcesses(specs: ProcessSpec[], log: (line: string) => void): Supervisor {
  const width = Math.max(...specs.map((spec) => spec.name.length));
  let stopping = false;
  const processes: Supervised[] = specs.map((spec, index) => ({
    spec,
    index,
    startedAt: 0,
    restartDelayMs: FIRST_RESTART_MS,
    started: false,
  }));
  const waiting: (() => void)[] = [];
  const wakeIfAllStarted = () => {
    if (processes.every((proc) => proc.started)) for (const wake of waiting.splice(0)) wake();
  };

  const start = (proc: Supervised) => {
    const prefix = prefixFor(proc.spec.name, proc.index, width);
    // The IPC channel is how a child learns that its supervisor is gone, even after a SIGKILL:
    // the channel closes and the child stops (runService's 'disconnect' handler).
    const child = spawn(process.execPath, [...(proc.spec.nodeArgs ?? []), proc.spec.entry], {
      env: { ...process.env, ...proc.spec.env },
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    });
    proc.child = child;
    proc.startedAt = Date.now();
    proc.started = false;
    child.on('message', (message: { type?: unknown }) => {
      if (message?.type !== 'started') return;
      proc.started = true;
      wakeIfAllStarted();
    });
    if (child.stdout) pipeWithPrefix(child.stdout, prefix, process.stdout);
    if (child.stderr) pipeWithPrefix(child.stderr, prefix, process.stderr);
    child.on('exit', (code, signal) => {
      proc.child = undefined;
      if (stopping) return;
      if (Date.now() - proc.startedAt > STABLE_AFTER_MS) proc.restartDelayMs = FIRST_RESTART_MS;
      log(`${prefix} exited (${signal ?? `code ${code}`}); restarting in ${proc.restartDelayMs / 1000}s`);
      proc.restartTimer = setTimeout(() => start(proc), proc.restartDelayMs);
      proc.restartDelayMs = Math.min(proc.restartDelayMs * 2, MAX_RESTART_MS);
    });
  };

  for (const proc of processes) start(proc);

  return {
    allStarted() {
      return new Promise((resolve) => {
        waiting.push(resolve);
        wakeIfAllStarted();
      });
    },
    async stop() {
      stopping = true;
      await Promise.all(processes.map(stopOne));
    },
  };
}

function stopOne(proc: Supervised): Promise<void> {
  clearTimeout(proc.restartTimer);
  const child = proc.child;
  if (!child || child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const kill = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS);
    child.once('exit', () => {
      clearTimeout(kill);
      resolve();
    });
    child.kill('SIGTERM');
  });
}
