// A redis-server of the drill's own on a spare port, persisting every write before it answers
// (appendonly yes, appendfsync always), so a drill can kill -9 it and check what survived.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '@series-killer/shared/testing';
import { Redis } from 'ioredis';
import { type RunningProcess, startCommand } from './processes.ts';

export interface DrillRedis {
  url: string;
  /** SIGKILLs the server: nothing is flushed beyond what `appendfsync always` already wrote. */
  kill(): Promise<void>;
  /** Starts the server again on the same port and data directory, and waits until it answers. */
  start(): Promise<void>;
  /** Stops the server and deletes its data. */
  destroy(): Promise<void>;
  /** The running server's process id, for its CPU time. */
  pid(): number;
}

async function waitForPing(url: string, server: RunningProcess, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (server.child.exitCode !== null) throw new Error(`redis-server exited:\n${server.output()}`);
    const client = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
    // Refused connections while the server starts are expected; the loop asks again.
    client.on('error', () => undefined);
    try {
      await client.connect();
      await client.ping();
      return;
    } catch (error) {
      if (Date.now() > deadline)
        throw new Error(`redis at ${url} did not answer:\n${server.output()}`, { cause: error });
    } finally {
      client.disconnect();
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/**
 * `durable: false` (a benchmark's own Redis, not a drill's) keeps nothing on disk, as a cache
 * node without persistence would, so the figures are BullMQ's work alone. Default true.
 */
export async function startDrillRedis({ durable = true }: { durable?: boolean } = {}): Promise<DrillRedis> {
  const dir = await mkdtemp(join(tmpdir(), 'sk-bench-redis-'));
  const port = await freePort();
  const url = `redis://127.0.0.1:${port}`;
  let server: RunningProcess | undefined;

  async function start(): Promise<void> {
    const started = startCommand('redis-server', [
      '--port',
      String(port),
      '--bind',
      '127.0.0.1',
      '--dir',
      dir,
      '--appendonly',
      durable ? 'yes' : 'no',
      '--appendfsync',
      'always',
      '--save',
      '',
      // BullMQ requires that Redis never evicts its keys.
      '--maxmemory-policy',
      'noeviction',
    ]);
    server = started;
    await waitForPing(url, started);
  }

  await start();
  return {
    url,
    kill: async () => {
      await server?.stop('SIGKILL');
    },
    start,
    pid: () => server?.pid ?? 0,
    async destroy() {
      await server?.stop('SIGKILL');
      await rm(dir, { recursive: true, force: true });
    },
  };
}
