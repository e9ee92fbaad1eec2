import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { freePort, waitFor } from '@series-killer/shared/testing';
import { type IsolatedStack, isolatedStackEnv } from './stack-env.ts';

const START = fileURLToPath(new URL('../start.ts', import.meta.url));

function childPids(pid: number): number[] {
  try {
    return execFileSync('pgrep', ['-P', String(pid)], { encoding: 'utf8' })
      .trim()
      .split('\n')
      .filter(Boolean)
      .map(Number);
  } catch {
    return [];
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe('npm start', () => {
  let stack: IsolatedStack;
  let child: ChildProcess;
  let output = '';
  let metricsPort: number;

  beforeAll(async () => {
    metricsPort = await freePort();
    stack = await isolatedStackEnv({ WORKER_REPLICAS: '1', METRICS_PORT: String(metricsPort) });
    child = spawn(process.execPath, [START], {
      env: { ...process.env, ...stack.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout?.on('data', (chunk) => {
      output += chunk;
    });
    child.stderr?.on('data', (chunk) => {
      output += chunk;
    });
  });

  afterAll(async () => {
    if (child.exitCode === null) child.kill('SIGKILL');
    await stack.cleanUp();
  });

  it('runs every process, answers /readyz, restarts one that dies, and stops them all on SIGTERM with exit code 0', async () => {
    await waitFor(
      'the stack to answer /readyz',
      async () => (await fetch(`${stack.publicBaseUrl}/readyz`).catch(() => undefined))?.ok,
      { timeoutMs: 60_000, intervalMs: 200 },
    );
    expect(output).toContain('SANDBOX MODE');
    expect(output).toMatch(/Queue dashboard: .*\/admin\/queues {2}user admin {2}password \S+/);

    // The first worker process (sms) serves its counters on METRICS_PORT.
    const metrics = await waitFor('the sms worker metrics', async () => {
      const response = await fetch(`http://127.0.0.1:${metricsPort}/metrics`).catch(() => undefined);
      return response?.ok && response.text();
    });
    expect(metrics).toContain('sms_sent_total');

    const pid = child.pid as number;
    const started = await waitFor('sandbox, ingress and three workers', () => {
      const pids = childPids(pid);
      return pids.length === 5 && pids;
    });

    // A worker that dies is reported and started again.
    const victim = started[started.length - 1] as number;
    process.kill(victim, 'SIGKILL');
    const processes = await waitFor('the killed process to be replaced', () => {
      const pids = childPids(pid);
      return pids.length === 5 && !pids.includes(victim) && pids;
    });
    expect(output).toMatch(/exited \(SIGKILL\); restarting in 1s/);

    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(processes.filter(isAlive)).toEqual([]);
    expect(output).toContain('stopped');
  });
});
