import { execFileSync, spawnSync } from 'node:child_process';
import { readFile, rm } from 'node:fs/promises';
import { waitFor } from '@series-killer/shared/testing';
import { repoPath } from '../lib/processes.ts';

/**
 * A Redis Cluster of the drill's own on other ports: killing a master of the shared cluster
 * (7101–7103) would break everything else using it.
 */
export const DRILL_PORTS = [7201, 7202, 7203] as const;

const clusterDir = repoPath('.tools/redis-cluster');

export const drillClusterNodes = () => DRILL_PORTS.map((port) => `127.0.0.1:${port}`).join(',');

function redisCli(port: number, ...args: string[]): string {
  return execFileSync('redis-cli', ['-p', String(port), ...args], { encoding: 'utf8' });
}

export function startDrillCluster(): void {
  execFileSync('bash', [repoPath('scripts/redis-cluster.sh'), 'start'], {
    env: { ...process.env, REDIS_CLUSTER_PORTS: DRILL_PORTS.join(' ') },
    stdio: 'ignore',
  });
}

/** Shuts the drill's nodes down and removes only their directories (the shared cluster's stay). */
export async function stopDrillCluster(): Promise<void> {
  for (const port of DRILL_PORTS) {
    spawnSync('redis-cli', ['-p', String(port), 'shutdown', 'nosave'], { stdio: 'ignore' });
    await rm(`${clusterDir}/${port}`, { recursive: true, force: true });
  }
}

/** Turns on AOF with an fsync per write on every node, and waits for the first rewrite to finish. */
export async function enableAppendOnly(): Promise<void> {
  for (const port of DRILL_PORTS) {
    redisCli(port, 'config', 'set', 'appendfsync', 'always');
    redisCli(port, 'config', 'set', 'appendonly', 'yes');
  }
  await waitFor('AOF rewrites to finish', () =>
    DRILL_PORTS.every((port) => /aof_rewrite_in_progress:0/.test(redisCli(port, 'info', 'persistence'))),
  );
}

/** The port of the master that serves the hash slot of `{queuePrefix}`, i.e. every queue of the stack. */
export function masterOfPrefix(queuePrefix: string): number {
  const slot = Number(redisCli(DRILL_PORTS[0], 'cluster', 'keyslot', `{${queuePrefix}}`).trim());
  for (const line of redisCli(DRILL_PORTS[0], 'cluster', 'nodes').trim().split('\n')) {
    const [, address, flags, , , , , , ...ranges] = line.split(' ');
    if (!flags?.includes('master')) continue;
    for (const range of ranges) {
      const [from, to = from] = range.split('-').map(Number);
      if (from !== undefined && to !== undefined && slot >= from && slot <= to) {
        return Number(address?.split(':')[1]?.split('@')[0]);
      }
    }
  }
  throw new Error(`no master serves slot ${slot}`);
}

export async function killNode(port: number): Promise<void> {
  const pid = Number((await readFile(`${clusterDir}/${port}/redis.pid`, 'utf8')).trim());
  process.kill(pid, 'SIGKILL');
}

/**
 * Starts a killed node again with the command scripts/redis-cluster.sh uses (its nodes.conf
 * brings it back into the cluster with its slots); with `appendOnly` it also reloads its AOF.
 */
export function restartNode(port: number, appendOnly: boolean): void {
  const dir = `${clusterDir}/${port}`;
  execFileSync('redis-server', [
    '--port',
    String(port),
    '--bind',
    '127.0.0.1',
    '--daemonize',
    'yes',
    '--cluster-enabled',
    'yes',
    '--cluster-config-file',
    `${dir}/nodes.conf`,
    '--cluster-node-timeout',
    '2000',
    '--dir',
    dir,
    '--save',
    '',
    '--appendonly',
    appendOnly ? 'yes' : 'no',
    '--appendfsync',
    appendOnly ? 'always' : 'everysec',
    '--maxmemory-policy',
    'noeviction',
    '--logfile',
    `${dir}/redis.log`,
    '--pidfile',
    `${dir}/redis.pid`,
  ]);
}

export function clusterStateOk(): boolean {
  try {
    return DRILL_PORTS.every((port) => redisCli(port, 'cluster', 'info').includes('cluster_state:ok'));
  } catch {
    return false;
  }
}
