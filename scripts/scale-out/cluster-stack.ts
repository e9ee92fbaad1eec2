import { type ChildProcess, spawn } from 'node:child_process';
import { type Sandbox, startSandbox } from '@series-killer/sandbox';
import {
  bullPrefix,
  closeQueues,
  createLogger,
  createQueues,
  createRedisConnection,
  type Db,
  loadConfig,
  type Queues,
  type RedisConnection,
  SANDBOX_DEFAULTS,
} from '@series-killer/shared';
import { createTestDatabase, createTestQueuePrefix, freePort, waitFor } from '@series-killer/shared/testing';
import { Cluster } from 'ioredis';
import { ENTRY_POINTS } from '../stack/stack-processes.ts';

/** The local cluster of `npm run redis:cluster` (started by .ci/run). */
export const LOCAL_CLUSTER_NODES =
  process.env.TEST_REDIS_CLUSTER_NODES ?? '127.0.0.1:7101,127.0.0.1:7102,127.0.0.1:7103';

export type ServiceName = 'ingress' | 'sms' | 'onboarding' | 'summarizer';

/** One service process of the stack. */
export interface ServiceProcess {
  name: string;
  child: ChildProcess;
  /** The last few kilobytes of its output, for failure messages. */
  output(): string;
}

export interface ClusterStackOptions {
  /** Processes of each worker (sms, onboarding, summarizer) started at once. Default 2. */
  replicas?: number;
  /** Extra environment of every process (e.g. SMS_MAX_PER_SECOND). */
  env?: Record<string, string>;
  /** `REDIS_CLUSTER_NODES` of the stack; empty for the single Redis at REDIS_URL. Default the local cluster. */
  clusterNodes?: string;
  /** Start the sandbox in this process. Default true. */
  sandbox?: boolean;
}

/**
 * A whole stack of one's own on a Redis Cluster: its database, queue prefix and ports, the
 * sandbox in this process, the ingress and every worker as child processes.
 */
export interface ClusterStack {
  env: Record<string, string>;
  publicBaseUrl: string;
  internalApiToken: string;
  /** Bearer token of `/metrics` on the ingress's public port. */
  metricsToken: string;
  prefix: string;
  db: Db;
  /** The stack's queues, opened by this process on the same Redis as the services. */
  queues: Queues;
  /** The connection the queues use (a `Cluster` on a cluster). */
  redis: RedisConnection;
  sandbox: Sandbox | undefined;
  processes: ServiceProcess[];
  /** Starts one more process of a service and resolves once it has started. */
  start(service: ServiceName): Promise<ServiceProcess>;
  /** Stops every process (SIGTERM, then SIGKILL), deletes the prefix's keys and drops the database. */
  cleanUp(): Promise<void>;
}

/** Milliseconds a process gets to start (several start at once on a small machine). */
const START_TIMEOUT_MS = 60_000;

function spawnService(service: ServiceName, name: string, env: Record<string, string>): ServiceProcess {
  const child = spawn(process.execPath, [ENTRY_POINTS[service]], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let tail = '';
  const keep = (chunk: Buffer) => {
    tail = (tail + chunk.toString()).slice(-8_000);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  return { name, child, output: () => tail };
}

/** Resolves once `runService` logged that the process started; fails with its output if it exits first. */
async function started(proc: ServiceProcess): Promise<void> {
  await waitFor(
    `${proc.name} to start`,
    () => {
      if (proc.child.exitCode !== null)
        throw new Error(`${proc.name} exited ${proc.child.exitCode}:\n${proc.output()}`);
      return proc.output().includes('"msg":"started"');
    },
    { timeoutMs: START_TIMEOUT_MS, intervalMs: 50 },
  ).catch((error: unknown) => {
    throw new Error(`${(error as Error).message}\n${proc.output()}`, { cause: error });
  });
}

export function stopProcess(proc: ServiceProcess): Promise<void> {
  const { child } = proc;
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const kill = setTimeout(() => child.kill('SIGKILL'), 15_000);
    child.once('exit', () => {
      clearTimeout(kill);
      resolve();
    });
    child.kill('SIGTERM');
  });
}

/** Deletes every key of a queue prefix on a single Redis or on each master of a cluster. */
export async function deletePrefixKeys(redis: RedisConnection, queuePrefix: string): Promise<void> {
  const nodes = redis instanceof Cluster ? redis.nodes('master') : [redis];
  await Promise.all(
    nodes.map(async (node) => {
      let cursor = '0';
      do {
        const [next, keys] = await node.scan(cursor, 'MATCH', `${bullPrefix(queuePrefix)}:*`, 'COUNT', 1000);
        cursor = next;
        // One hash tag, one slot: the keys of a prefix can go in one DEL on a cluster too.
        if (keys.length > 0) await node.del(...keys);
      } while (cursor !== '0');
    }),
  );
}

export async function startClusterStack(options: ClusterStackOptions = {}): Promise<ClusterStack> {
  const testDb = await createTestDatabase();
  const prefix = createTestQueuePrefix();
  const port = await freePort();
  const sandboxPort = await freePort();
  const publicBaseUrl = `http://127.0.0.1:${port}`;
  const internalApiToken = `scale-out-${prefix}-token`;
  const metricsToken = `scale-out-${prefix}-metrics`;
  const clusterNodes = options.clusterNodes ?? LOCAL_CLUSTER_NODES;
  const env: Record<string, string> = {
    DATABASE_URL: testDb.url,
    QUEUE_PREFIX: prefix,
    PORT: String(port),
    PUBLIC_BASE_URL: publicBaseUrl,
    SANDBOX: '1',
    SANDBOX_PORT: String(sandboxPort),
    INTERNAL_API_TOKEN: internalApiToken,
    METRICS_TOKEN: metricsToken,
    // Each process's pool: 9 processes × 3 stay far below Postgres's 100 connections, with the other tests running too.
    DATABASE_POOL_SIZE: '3',
    // `info` carries the "started" line the stack waits for; nothing per job is logged at info.
    LOG_LEVEL: 'info',
    NO_COLOR: '1',
    ...(clusterNodes ? { REDIS_CLUSTER_NODES: clusterNodes } : {}),
    ...options.env,
  };
  const config = loadConfig(env);
  const redis = createRedisConnection(config.redis, 'worker');
  const queues = createQueues(redis, config.redis, createLogger('cluster-stack', 'silent'));
  const sandbox =
    options.sandbox === false
      ? undefined
      : await startSandbox({
          port: sandboxPort,
          accountSid: SANDBOX_DEFAULTS.twilioAccountSid,
          authToken: SANDBOX_DEFAULTS.twilioAuthToken,
          ingressBaseUrl: publicBaseUrl,
        });

  const processes: ServiceProcess[] = [];
  const counts = new Map<ServiceName, number>();
  async function start(service: ServiceName): Promise<ServiceProcess> {
    const n = (counts.get(service) ?? 0) + 1;
    counts.set(service, n);
    const proc = spawnService(service, `${service}-${n}`, env);
    processes.push(proc);
    await started(proc);
    return proc;
  }

  const replicas = options.replicas ?? 2;
  const services: ServiceName[] = ['ingress'];
  for (const worker of ['sms', 'onboarding', 'summarizer'] as const) {
    for (let i = 0; i < replicas; i += 1) services.push(worker);
  }
  const stack: ClusterStack = {
    env,
    publicBaseUrl,
    internalApiToken,
    metricsToken,
    prefix,
    db: testDb.db,
    queues,
    redis,
    sandbox,
    processes,
    start,
    async cleanUp() {
      await Promise.all(processes.map(stopProcess));
      await sandbox?.close();
      await closeQueues(queues);
      await deletePrefixKeys(redis, prefix);
      redis.disconnect();
      await testDb.drop();
    },
  };
  try {
    await Promise.all(services.map(start));
  } catch (error) {
    await stack.cleanUp();
    throw error;
  }
  return stack;
}
