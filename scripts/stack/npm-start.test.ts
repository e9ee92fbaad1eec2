import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { once } from 'node:events';
import { createServer, type Server } from 'node:net';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { freePort, waitFor } from '@series-killer/shared/testing';
import { readLocalCredentials } from './local-credentials.ts';
import { type IsolatedStack, isolatedStackEnv } from './stack-env.ts';
import { ENTRY_POINTS } from './stack-processes.ts';

const START = fileURLToPath(new URL('../start.ts', import.meta.url));
const REPO = fileURLToPath(new URL('../..', import.meta.url));

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

  // As long as its waits allow: on a loaded machine the stack may take up to a minute to answer.
  it('runs every process, answers /readyz, restarts one that dies, and stops them all on SIGTERM with exit code 0', async () => {
    await waitFor(
      'the stack to answer /readyz',
      async () => (await fetch(`${stack.publicBaseUrl}/readyz`).catch(() => undefined))?.ok,
      { timeoutMs: 60_000, intervalMs: 200 },
    );
    // Said once, by npm start, not again by each of its six processes.
    expect(output.split('SANDBOX MODE').length - 1).toBe(1);
    // Last comes the ready block, with the credentials kept between starts.
    await waitFor('the ready block', () => output.includes('Series Killer is ready'));
    expect(output).toMatch(/Queue dashboard: .*\/admin\/queues {2}user admin {2}password \S+/);
    const saved = readLocalCredentials();
    expect(output).toContain(`Internal API token: ${saved.INTERNAL_API_TOKEN}`);
    expect(output).toContain(`password ${saved.DASHBOARD_PASSWORD}`);

    // The ingress serves its metrics on METRICS_PORT, the first worker process (sms) on the next port;
    // without METRICS_TOKEN the ingress's public port does not serve them.
    const scrape = (port: number) =>
      waitFor(`the metrics on port ${port}`, async () => {
        const response = await fetch(`http://127.0.0.1:${port}/metrics`).catch(() => undefined);
        return response?.ok && response.text();
      });
    expect(await scrape(metricsPort)).toContain('ingress_http_requests_total');
    expect(await scrape(metricsPort + 1)).toContain('sms_sent_total');
    expect((await fetch(`${stack.publicBaseUrl}/metrics`)).status).toBe(404);

    const pid = child.pid as number;
    const started = await waitFor('sandbox, ingress, three workers and the voice bot', () => {
      const pids = childPids(pid);
      return pids.length === 6 && pids;
    });

    // A worker that dies is reported and started again.
    const victim = started[started.length - 1] as number;
    process.kill(victim, 'SIGKILL');
    const processes = await waitFor('the killed process to be replaced', () => {
      const pids = childPids(pid);
      return pids.length === 6 && !pids.includes(victim) && pids;
    });
    expect(output).toMatch(/exited \(SIGKILL\); restarting in 1s/);

    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(processes.filter(isAlive)).toEqual([]);
    expect(output).toContain('stopped');
  }, 90_000);
});

/** Starts `npm start` on a stack of its own and waits until it answers /readyz with all six processes up. */
async function startStack(stack: IsolatedStack): Promise<{ child: ChildProcess; pids: number[] }> {
  const child = spawn(process.execPath, [START], {
    env: { ...process.env, ...stack.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout?.resume();
  child.stderr?.resume();
  await waitFor(
    'the stack to answer /readyz',
    async () => (await fetch(`${stack.publicBaseUrl}/readyz`).catch(() => undefined))?.ok,
    { timeoutMs: 60_000, intervalMs: 200 },
  );
  const pids = await waitFor('sandbox, ingress, three workers and the voice bot', () => {
    const found = childPids(child.pid as number);
    return found.length === 6 && found;
  });
  return { child, pids };
}

describe('npm start dying', () => {
  let stack: IsolatedStack;
  let child: ChildProcess | undefined;

  beforeEach(async () => {
    stack = await isolatedStackEnv({ WORKER_REPLICAS: '1' });
  });

  afterEach(async () => {
    if (child && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await stack.cleanUp();
  });

  it('takes every process with it when it is killed with SIGKILL, each within 10 s', async () => {
    const started = await startStack(stack);
    child = started.child;
    child.kill('SIGKILL');
    // Their supervisor is gone, and with it their stdout: each one still stops, within its 9 s deadline.
    await waitFor('every process of the stack to exit', () => started.pids.filter(isAlive).length === 0, {
      timeoutMs: 10_000,
      intervalMs: 100,
    });
  }, 90_000);

  it('stops the stack when its output is closed and it has something to say', async () => {
    const started = await startStack(stack);
    child = started.child;
    const exited = new Promise<number | null>((resolve) => child?.once('exit', (code) => resolve(code)));
    child.stdout?.destroy();
    child.stderr?.destroy();
    // The next line it writes (the report of a process that died) finds nobody reading.
    process.kill(started.pids[started.pids.length - 1] as number, 'SIGKILL');
    await waitFor('every process of the stack to exit', () => started.pids.filter(isAlive).length === 0, {
      timeoutMs: 15_000,
      intervalMs: 100,
    });
    expect(await exited).toBe(0);
  }, 90_000);
});

describe('npm start on a port already taken', () => {
  let stack: IsolatedStack;
  let holder: Server;
  beforeAll(async () => {
    stack = await isolatedStackEnv();
    holder = createServer().listen(Number(stack.env.PORT), '127.0.0.1');
    await once(holder, 'listening');
  });
  afterAll(async () => {
    holder.close();
    await stack.cleanUp();
  });

  it('exits 1 at once with one line naming the port and what holds it, starting nothing', async () => {
    const child = spawn(process.execPath, [START], {
      env: { ...process.env, ...stack.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout?.on('data', (chunk) => {
      output += chunk;
    });
    child.stderr?.on('data', (chunk) => {
      output += chunk;
    });
    const [code] = (await once(child, 'exit')) as [number | null];
    expect(code).toBe(1);
    expect(output).toContain(
      `Port ${stack.env.PORT}, for the ingress (PORT), is already in use by pid ${process.pid} (`,
    );
    expect(output).not.toContain('EADDRINUSE');
    expect(output).not.toContain('[migrate]');
  }, 30_000);
});

describe('npm start, signalled through npm', () => {
  let stack: IsolatedStack;
  let npm: ChildProcess | undefined;

  beforeEach(async () => {
    stack = await isolatedStackEnv({ WORKER_REPLICAS: '1' });
  });

  afterEach(async () => {
    if (npm && npm.exitCode === null && npm.signalCode === null) npm.kill('SIGKILL');
    await stack.cleanUp();
  });

  // Process managers, `timeout` and scripts signal npm, not the whole process group as Ctrl-C does.
  it.each(['SIGTERM', 'SIGINT', 'SIGKILL'] as const)(
    'stops every process when npm gets %s',
    async (signal) => {
      npm = spawn('npm', ['start', '--silent'], {
        cwd: REPO,
        env: { ...process.env, ...stack.env },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      npm.stdout?.resume();
      npm.stderr?.resume();
      const npmPid = npm.pid as number;
      const tree = await waitFor(
        'npm start to run its six processes',
        () => {
          const supervisor = childPids(npmPid);
          const services = supervisor.flatMap(childPids);
          return services.length === 6 && [...supervisor, ...services];
        },
        { timeoutMs: 60_000, intervalMs: 200 },
      );
      process.kill(npmPid, signal);
      await waitFor('every process of the stack to exit', () => tree.filter(isAlive).length === 0, {
        timeoutMs: 15_000,
        intervalMs: 100,
      });
    },
    90_000,
  );
});

describe('a service whose stdout is gone', () => {
  let stack: IsolatedStack;
  beforeAll(async () => {
    stack = await isolatedStackEnv();
  });
  afterAll(async () => {
    await stack.cleanUp();
  });

  // Each service on its own: the workers and the sandbox shut down through the same runService as the ingress.
  it.each(Object.keys(ENTRY_POINTS) as (keyof typeof ENTRY_POINTS)[])(
    '%s still exits within 10 s of SIGTERM',
    async (name) => {
      const service = spawn(process.execPath, [ENTRY_POINTS[name]], {
        env: { ...process.env, ...stack.env, SANDBOX: '1', LOG_LEVEL: 'debug' },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let output = '';
      service.stdout?.on('data', (chunk) => {
        output += chunk;
      });
      try {
        await waitFor('the service to start', () => /"msg":"started"/.test(output), {
          timeoutMs: 30_000,
          intervalMs: 100,
        });
        const exited = new Promise<number>((resolve) => service.once('exit', () => resolve(Date.now())));
        service.stdout?.destroy();
        service.stderr?.destroy();
        // For the ingress, an open keep-alive connection too; for every service, log lines that can no longer be written.
        if (name === 'ingress') await fetch(`${stack.publicBaseUrl}/healthz`, { keepalive: true });
        const signalledAt = Date.now();
        service.kill('SIGTERM');
        expect((await exited) - signalledAt).toBeLessThan(10_000);
      } finally {
        if (service.exitCode === null && service.signalCode === null) service.kill('SIGKILL');
      }
    },
    60_000,
  );
});
