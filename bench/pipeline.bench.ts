// Pipeline: `delivered` callbacks for recorded sends through a real ingress, Redis, SMS worker
// process and Postgres, measured by the timestamps Postgres keeps, against the synchronous
// baseline (signature check + INSERT event + UPDATE row in the request) in the same run.
import { createTestDatabase, createTestQueuePrefix, freePort } from '@series-killer/shared/testing';
import { Redis } from 'ioredis';
import { sql } from 'kysely';
import { type LoadOptions, type LoadSummary, runLoad } from './lib/load.ts';
import {
  type AppliedStats,
  BENCH_AUTH_TOKEN,
  type Pipeline,
  readAppliedStats,
  seedOutboundMessages,
  startPipeline,
  waitForApplied,
} from './lib/pipeline.ts';
import { cpuSeconds, type RunningProcess, repoPath, startProcess, waitForHttp } from './lib/processes.ts';
import { type DrillRedis, startDrillRedis } from './lib/redis-server.ts';
import type { BenchResult } from './lib/results.ts';
import { round } from './lib/stats.ts';
import { newSidSeed } from './load/signed-status-callbacks.ts';

const CALLBACKS = Number(process.env.BENCH_PIPELINE_CALLBACKS ?? 20_000);
/** Callbacks applied before Redis's memory is compared with what it held before them. */
const REDIS_CALLBACKS = Number(process.env.BENCH_REDIS_CALLBACKS ?? 100_000);
/** Callbacks held in Redis with no worker running, to measure what one in flight costs. */
const IN_FLIGHT_CALLBACKS = 5_000;
const STEADY_RATE = 1_000;
const STEADY_SECONDS = Number(process.env.BENCH_DURATION ?? 10);
/** Callbacks at full speed before the measured ones, so a cold start is not what is measured. */
const FULL_SPEED_WARM_UP = 2_000;
/** Seconds of the same steady load before the measured ones, so a cold start is not what is measured. */
const STEADY_WARM_UP_SECONDS = 1;
const CONNECTIONS = 50;
// The product's default WORKER_CONCURRENCY: the benchmark measures the SMS worker as it ships.
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 10);
const POOL_SIZE = 10;
const DRAIN_TIMEOUT_MS = 300_000;

/** CPU milliseconds per callback, by process. */
interface CpuPerCallback {
  ingress?: number;
  smsWorker?: number;
  redis?: number;
  postgres: number;
  /** The baseline's one server process. */
  server?: number;
}

interface Run {
  load: LoadSummary;
  stats: AppliedStats;
  cpuMsPerCallback: CpuPerCallback;
}

/** The server processes of one run, whichever design it measures. */
interface Target {
  statusUrl: string;
  /** Process ids by role, for their CPU time. */
  pids(): Record<string, number>;
  stop(): Promise<void>;
}

/** Postgres backends serving this database, except the benchmark's own. */
async function postgresBackends(db: Parameters<typeof readAppliedStats>[0], exclude: Set<number>): Promise<number[]> {
  const { rows } = await sql<{ pid: number }>`
    select pid from pg_stat_activity where datname = current_database() and pid <> pg_backend_pid()
  `.execute(db);
  return rows.map((row) => row.pid).filter((pid) => !exclude.has(pid));
}

/** Total CPU seconds of these processes; a process that already ended (or is not visible here) counts 0. */
async function totalCpu(pids: number[]): Promise<number> {
  const seconds = await Promise.all(pids.map((pid) => cpuSeconds(pid).catch(() => 0)));
  return seconds.reduce((sum, s) => sum + s, 0);
}

/** Offers a load to a status URL, its SIDs taken from `sidSeed` from index `sidOffset` on. */
type Load = (statusUrl: string, sidSeed: string, sidOffset: number) => Promise<LoadSummary>;

/**
 * One run on a fresh database: seeds `seeded` recorded sends, starts the target, offers the
 * warm-up load if any and waits until it is applied (a deployed stack runs warm: its
 * connections open, its code compiled, Postgres's caches filled), then offers the load, waits
 * until every accepted callback is applied, and reads the figures of that load alone.
 */
async function measure(
  seeded: number,
  start: (databaseUrl: string) => Promise<Target>,
  load: Load,
  during?: (target: Target) => { stop(): Promise<unknown> },
  warmUp?: Load,
): Promise<Run & { extra?: unknown }> {
  const testDb = await createTestDatabase();
  const sidSeed = newSidSeed();
  let target: Target | undefined;
  try {
    await seedOutboundMessages(testDb.db, sidSeed, seeded);
    const own = new Set(await postgresBackends(testDb.db, new Set()));
    target = await start(testDb.url);
    const warm = await warmUp?.(target.statusUrl, sidSeed, 0);
    if (warm && (await waitForApplied(testDb.db, warm.ok, DRAIN_TIMEOUT_MS)) < warm.ok)
      throw new Error('the warm-up was not applied');
    const measuredSince = new Date();
    const pids = target.pids();
    const before = Object.fromEntries(
      await Promise.all(Object.entries(pids).map(async ([role, pid]) => [role, await totalCpu([pid])] as const)),
    );
    const postgresBefore = await totalCpu(await postgresBackends(testDb.db, own));
    const sampler = during?.(target);
    const offered = await load(target.statusUrl, sidSeed, warm?.total ?? 0);
    const expected = (warm?.ok ?? 0) + offered.ok;
    const applied = await waitForApplied(testDb.db, expected, DRAIN_TIMEOUT_MS);
    if (applied < expected) throw new Error(`only ${applied} of ${expected} accepted callbacks applied`);
    const extra = await sampler?.stop();
    const perCallback = (seconds: number) => round((seconds * 1_000) / Math.max(1, offered.ok), 3);
    const cpu: CpuPerCallback = {
      postgres: perCallback((await totalCpu(await postgresBackends(testDb.db, own))) - postgresBefore),
    };
    for (const [role, pid] of Object.entries(pids))
      (cpu as unknown as Record<string, number>)[role] = perCallback((await totalCpu([pid])) - (before[role] ?? 0));
    const stats = await readAppliedStats(testDb.db, warm ? measuredSince : undefined);
    return { load: offered, stats, cpuMsPerCallback: cpu, extra };
  } finally {
    await target?.stop();
    await testDb.drop();
  }
}

/** The queued design: ingress → its own Redis → SMS worker → Postgres (or no worker yet: a backlog builds). */
function queued(redis: DrillRedis, { backlog = false } = {}) {
  return async (databaseUrl: string): Promise<Target> => {
    const prefix = createTestQueuePrefix();
    const pipeline: Pipeline = await startPipeline({
      databaseUrl,
      queuePrefix: prefix,
      redisUrl: redis.url,
      concurrency: CONCURRENCY,
      poolSize: POOL_SIZE,
      smsWorkers: backlog ? 0 : 1,
    });
    if (backlog) backlogs.set(pipeline.statusUrl, pipeline);
    return {
      statusUrl: pipeline.statusUrl,
      pids: () => ({ ingress: pipeline.ingress.pid, smsWorker: pipeline.smsWorkers[0]?.pid ?? 0, redis: redis.pid() }),
      // The benchmark's Redis is destroyed at the end, with every run's keys.
      stop: () => pipeline.stop(),
    };
  };
}

/** Pipelines started without a worker, by status URL, so a step can start it once the backlog is in Redis. */
const backlogs = new Map<string, Pipeline>();

/** The synchronous baseline: one Express process writing to Postgres in the request. */
async function synchronous(databaseUrl: string): Promise<Target> {
  const port = await freePort();
  const baseUrl = `http://127.0.0.1:${port}`;
  const server: RunningProcess = startProcess(repoPath('bench/servers/synchronous-status.ts'), {
    PORT: String(port),
    PUBLIC_BASE_URL: baseUrl,
    DATABASE_URL: databaseUrl,
    DATABASE_POOL_SIZE: String(POOL_SIZE),
    TWILIO_AUTH_TOKEN: BENCH_AUTH_TOKEN,
  });
  await waitForHttp(`${baseUrl}/healthz`, server);
  return { statusUrl: `${baseUrl}/twilio/sms/status`, pids: () => ({ server: server.pid }), stop: () => server.stop() };
}

/** Status callbacks at `connections`, shaped by `shape`: an `amount` at full speed, or an `overallRate` for `durationSeconds`. */
const callbacksAt =
  (shape: Pick<LoadOptions, 'amount' | 'overallRate' | 'durationSeconds'>): Load =>
  (statusUrl, sidSeed, sidOffset) =>
    runLoad({
      target: statusUrl,
      publicUrl: statusUrl,
      authToken: BENCH_AUTH_TOKEN,
      connections: CONNECTIONS,
      ...shape,
      sidSeed,
      sidOffset,
    });

const fullSpeed = (amount: number): Load => callbacksAt({ amount });

const atSteadyRate = (seconds: number): Load => callbacksAt({ overallRate: STEADY_RATE, durationSeconds: seconds });

async function usedMemory(url: string): Promise<number> {
  const client = new Redis(url);
  try {
    const info = await client.info('memory');
    return Number(/used_memory:(\d+)/.exec(info)?.[1] ?? Number.NaN);
  } finally {
    client.disconnect();
  }
}

/** Samples Redis's memory while callbacks are in flight: the peak bytes above the idle baseline. */
function sampleRedisMemory(url: string, idle: number) {
  return () => {
    let peak = idle;
    const timer = setInterval(() => {
      usedMemory(url)
        .then((bytes) => {
          peak = Math.max(peak, bytes);
        })
        .catch(() => undefined);
    }, 200);
    return {
      async stop() {
        clearInterval(timer);
        return peak;
      },
    };
  };
}

async function pipelineBench(): Promise<BenchResult> {
  const redis = await startDrillRedis({ durable: false });
  try {
    // Both designs measured after the same warm-up, as deployed servers run warm.
    const seeded = CALLBACKS + FULL_SPEED_WARM_UP;
    const warmUp = fullSpeed(FULL_SPEED_WARM_UP);
    const queuedRun = await measure(seeded, queued(redis), fullSpeed(CALLBACKS), undefined, warmUp);
    const baselineRun = await measure(seeded, synchronous, fullSpeed(CALLBACKS), undefined, warmUp);
    // Measured after a second at the same rate, as a deployed stack runs warm.
    const steadyRun = await measure(
      Math.ceil(STEADY_RATE * (STEADY_SECONDS + STEADY_WARM_UP_SECONDS) * 1.2),
      queued(redis),
      atSteadyRate(STEADY_SECONDS),
      undefined,
      atSteadyRate(STEADY_WARM_UP_SECONDS),
    );

    const idle = await usedMemory(redis.url);
    const memoryRun = await measure(
      REDIS_CALLBACKS,
      queued(redis),
      fullSpeed(REDIS_CALLBACKS),
      sampleRedisMemory(redis.url, idle),
    );
    const peak = memoryRun.extra as number;
    const after = await usedMemory(redis.url);
    const growthMb = round((after - idle) / 1_048_576, 2);

    // Bytes per callback in flight: a backlog held in Redis with no worker, measured, then drained.
    let backlogBytes = 0;
    await measure(IN_FLIGHT_CALLBACKS, queued(redis, { backlog: true }), async (statusUrl, sidSeed) => {
      const before = await usedMemory(redis.url);
      const offered = await fullSpeed(IN_FLIGHT_CALLBACKS)(statusUrl, sidSeed, 0);
      backlogBytes = (await usedMemory(redis.url)) - before;
      await backlogs.get(statusUrl)?.startSmsWorker();
      return offered;
    });
    const bytesPerCallbackInFlight = Math.round(backlogBytes / IN_FLIGHT_CALLBACKS);

    const queuedRate = queuedRun.stats.sustainedPerSecond;
    const baselineRate = baselineRun.stats.sustainedPerSecond;
    const ratio = round(queuedRate / baselineRate, 2);
    const runs = [queuedRun, baselineRun, steadyRun, memoryRun];
    const non2xx = runs.reduce((sum, r) => sum + r.load.non2xx + r.load.errors, 0);
    const lost = runs.reduce((sum, r) => sum + Math.max(0, r.load.ok - r.stats.applied) + r.stats.duplicated, 0);
    return {
      name: 'pipeline',
      goals: [
        { goal: '≥ 3,000 applied callbacks/s', value: queuedRate, met: queuedRate >= 3_000 },
        { goal: '≥ 1.2× the synchronous baseline', value: ratio, met: ratio >= 1.2 },
        {
          goal: `p99 ≤ 100 ms at ${STEADY_RATE}/s`,
          value: steadyRun.stats.latencyP99Ms,
          met: steadyRun.stats.latencyP99Ms <= 100,
        },
        {
          goal: `Redis within 10 MB of before after ${REDIS_CALLBACKS} callbacks`,
          value: growthMb,
          met: growthMb <= 10,
        },
        { goal: 'no non-2xx, nothing lost or doubled', value: non2xx + lost, met: non2xx + lost === 0 },
      ],
      figures: {
        callbacks: CALLBACKS,
        connections: CONNECTIONS,
        smsWorker: { concurrency: CONCURRENCY, poolSize: POOL_SIZE },
        queued: {
          appliedPerSecond: queuedRate,
          endToEndPerSecond: queuedRun.stats.endToEndPerSecond,
          p50Ms: queuedRun.stats.latencyP50Ms,
          p99Ms: queuedRun.stats.latencyP99Ms,
          cpuMsPerCallback: queuedRun.cpuMsPerCallback,
        },
        baseline: {
          appliedPerSecond: baselineRate,
          endToEndPerSecond: baselineRun.stats.endToEndPerSecond,
          p99Ms: baselineRun.load.latencyP99Ms,
          cpuMsPerCallback: baselineRun.cpuMsPerCallback,
        },
        steady: {
          ratePerSecond: STEADY_RATE,
          seconds: STEADY_SECONDS,
          p50Ms: steadyRun.stats.latencyP50Ms,
          p99Ms: steadyRun.stats.latencyP99Ms,
        },
        redis: {
          callbacks: REDIS_CALLBACKS,
          idleMb: round(idle / 1_048_576, 2),
          peakInFlightMb: round(peak / 1_048_576, 2),
          afterMb: round(after / 1_048_576, 2),
          growthMb,
          inFlightCallbacks: IN_FLIGHT_CALLBACKS,
          bytesPerCallbackInFlight,
        },
        latency: [
          { label: 'pipeline at full speed', p50: queuedRun.stats.latencyP50Ms, p99: queuedRun.stats.latencyP99Ms },
          {
            label: `pipeline at ${STEADY_RATE}/s`,
            p50: steadyRun.stats.latencyP50Ms,
            p99: steadyRun.stats.latencyP99Ms,
          },
        ],
        latencySource: 'sms_status_events.applied_at (now() of the apply transaction, i.e. its start) − received_at',
        perRun: runs.map(({ load, stats, cpuMsPerCallback }) => ({ load, stats, cpuMsPerCallback })),
      },
    };
  } finally {
    await redis.destroy();
  }
}

export const benchmarks = { pipeline: pipelineBench };
