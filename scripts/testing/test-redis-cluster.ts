// The local Redis Cluster the cluster tests need (REDIS_CLUSTER_NODES), started by Jest's global
// set-up when nothing answers and stopped again by its teardown; one already running is used and left.
import { execFileSync, spawnSync } from 'node:child_process';
import { connect } from 'node:net';
import { fileURLToPath } from 'node:url';

const SCRIPT = fileURLToPath(new URL('../redis-cluster.sh', import.meta.url));

/** The cluster a run uses; `stop` stops it only when this run started it, and leaves one it found running. */
export interface TestRedisCluster {
  nodes: string;
  stop(): void;
}

export class TestPrerequisiteError extends Error {
  override name = 'TestPrerequisiteError';
}

/** The ports `npm run redis:cluster` uses (REDIS_CLUSTER_PORTS, default 7101-7103). */
function clusterPorts(env: NodeJS.ProcessEnv): string[] {
  return (env.REDIS_CLUSTER_PORTS ?? '7101 7102 7103').split(/\s+/).filter(Boolean);
}

function clusterNodes(env: NodeJS.ProcessEnv): string {
  return clusterPorts(env)
    .map((port) => `127.0.0.1:${port}`)
    .join(',');
}

/**
 * `cluster_state` of the node at host:port (`ok`, `fail`), or `down` when it does not answer within
 * a second. A bare socket rather than a client: nothing stays open after the answer.
 */
export function clusterState(host: string, port: number): Promise<string> {
  return new Promise((resolve) => {
    let reply = '';
    const socket = connect({ host, port, timeout: 1_000 });
    const done = (state: string) => {
      socket.destroy();
      resolve(state);
    };
    socket.on('connect', () => socket.write('CLUSTER INFO\r\n'));
    socket.on('data', (chunk) => {
      reply += chunk.toString();
      const state = /cluster_state:(\w+)/.exec(reply)?.[1];
      if (state) done(state);
      else if (reply.startsWith('-')) done('not a cluster');
    });
    socket.on('timeout', () => done('down'));
    socket.on('error', () => done('down'));
    socket.on('end', () => done('down'));
  });
}

/** Whether the first seed of `host:port,…` answers as a healthy cluster. */
async function clusterAnswers(nodes: string): Promise<boolean> {
  const [host = '127.0.0.1', port = '0'] = (nodes.split(',')[0] ?? '').split(':');
  return (await clusterState(host, Number(port))) === 'ok';
}

function hasRedisServer(env: NodeJS.ProcessEnv): boolean {
  return spawnSync('redis-server', ['--version'], { stdio: 'ignore', env }).status === 0;
}

/**
 * Makes `env.TEST_REDIS_CLUSTER_NODES` name a running cluster, starting the local one if needed;
 * throws TestPrerequisiteError at once, naming what to install, when it cannot.
 */
export async function ensureTestRedisCluster(env: NodeJS.ProcessEnv = process.env): Promise<TestRedisCluster> {
  const given = env.TEST_REDIS_CLUSTER_NODES;
  if (given) {
    if (await clusterAnswers(given)) return { nodes: given, stop: () => {} };
    throw new TestPrerequisiteError(`TEST_REDIS_CLUSTER_NODES=${given} does not answer as a healthy Redis Cluster`);
  }
  const nodes = clusterNodes(env);
  // Test workers are forked after the global set-up and inherit this.
  env.TEST_REDIS_CLUSTER_NODES = nodes;
  if (await clusterAnswers(nodes)) return { nodes, stop: () => {} };
  if (!hasRedisServer(env))
    throw new TestPrerequisiteError(
      'The Redis Cluster tests need redis-server: install it (Debian: apt-get install redis-server)',
    );
  execFileSync('bash', [SCRIPT, 'start'], { stdio: ['ignore', 'ignore', 'inherit'], env });
  return { nodes, stop: () => execFileSync('bash', [SCRIPT, 'stop'], { stdio: 'ignore', env }) };
}
