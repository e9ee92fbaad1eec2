// Fault drills: status callbacks streamed through the real pipeline while one part fails and
// comes back; every accepted callback must be applied exactly once.
import type { Database, Db } from '@series-killer/shared';
import { createTestDatabase, createTestQueuePrefix, deleteQueuePrefix } from '@series-killer/shared/testing';
import { Kysely, PostgresDialect, sql } from 'kysely';
import pg from 'pg';
import { drillGoals, runStreamDrill } from '../lib/drill.ts';
import { runLoad } from '../lib/load.ts';
import {
  BENCH_AUTH_TOKEN,
  type Pipeline,
  type PipelineOptions,
  readAppliedStats,
  seedOutboundMessages,
  startPipeline,
  waitForApplied,
} from '../lib/pipeline.ts';
import { startPostgresCluster } from '../lib/postgres-cluster.ts';
import { startDrillRedis } from '../lib/redis-server.ts';
import type { BenchResult } from '../lib/results.ts';
import { newSidSeed } from '../load/signed-status-callbacks.ts';

const STREAM_CALLBACKS = 3_000;
const STREAM_RATE = 300;
/** Every stream drill: its volume and pace, the fault 3 s in, and time enough to apply everything on a busy machine. */
const STREAM = { count: STREAM_CALLBACKS, ratePerSecond: STREAM_RATE, faultAfterMs: 3_000, applyTimeoutMs: 120_000 };
const BURST_CALLBACKS = Number(process.env.BENCH_BURST_CALLBACKS ?? 20_000);

interface DrillEnv {
  db: Db;
  pipeline: Pipeline;
  sidSeed: string;
}

/**
 * Seeds `count` sent messages into a database and runs the drill against a pipeline on it.
 * Without `databaseUrl` the database is a fresh one on the shared server; every process,
 * queue key and database the drill made is gone afterwards.
 */
async function withPipeline<T>(
  count: number,
  options: Partial<PipelineOptions>,
  drill: (env: DrillEnv) => Promise<T>,
): Promise<T> {
  const testDb = options.databaseUrl ? undefined : await createTestDatabase();
  const databaseUrl = options.databaseUrl ?? testDb?.url ?? '';
  const db = testDb?.db ?? restartProofDb(databaseUrl);
  const prefix = createTestQueuePrefix();
  const sidSeed = newSidSeed();
  let pipeline: Pipeline | undefined;
  try {
    await seedOutboundMessages(db, sidSeed, count);
    pipeline = await startPipeline({ concurrency: 50, ...options, databaseUrl, queuePrefix: prefix });
    return await drill({ db, pipeline, sidSeed });
  } finally {
    await pipeline?.stop();
    if (!options.redisUrl) await deleteQueuePrefix(prefix);
    if (testDb) await testDb.drop();
    else await db.destroy();
  }
}

/** The drill's own view of a database that it restarts: an idle connection cut by the restart is only logged. */
function restartProofDb(url: string): Db {
  const pool = new pg.Pool({ connectionString: url, max: 2 });
  pool.on('error', (error) => console.warn(`  bench pool: ${error.message}`));
  return new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
}

/** Within how long of the replacement worker starting every callback accepted before it must be applied. */
const KILL_RECOVERY_GOAL_MS = 10_000;

async function smsWorkerKill(): Promise<BenchResult> {
  let replacementStartedAt = new Date();
  const result = await withPipeline(STREAM_CALLBACKS, {}, async ({ db, pipeline, sidSeed }) => {
    const drill = await runStreamDrill({
      db,
      pipeline,
      sidSeed,
      ...STREAM,
      async fault() {
        const killed = pipeline.smsWorkers[0];
        await killed?.stop('SIGKILL');
        await new Promise((resolve) => setTimeout(resolve, 1_000));
        await pipeline.startSmsWorker();
        replacementStartedAt = new Date();
        return { killed: 'sms worker, SIGKILL', downMs: 1_000 };
      },
    });
    // The callbacks the dead worker held (and every other one accepted before the replacement
    // started): how long after the replacement started the last of them was applied.
    const { rows } = await sql<{ ms: number | null }>`
      select extract(epoch from max(applied_at) - ${replacementStartedAt}::timestamptz) * 1000 as ms
      from public.sms_status_events where received_at < ${replacementStartedAt}::timestamptz
    `.execute(db);
    return { ...drill, recoveryMs: Math.max(0, Math.round(Number(rows[0]?.ms ?? Number.NaN))) };
  });
  return {
    name: 'drill-sms-worker-kill',
    goals: [
      ...drillGoals(result.counts),
      {
        goal: 'every callback accepted before the restart applied within 10 s of it',
        value: result.recoveryMs,
        met: result.recoveryMs <= KILL_RECOVERY_GOAL_MS,
      },
    ],
    figures: { ...result.figures, recoveryMs: result.recoveryMs },
  };
}

async function postgresRestart(): Promise<BenchResult> {
  const cluster = await startPostgresCluster();
  try {
    const result = await withPipeline(
      STREAM_CALLBACKS,
      { databaseUrl: cluster.databaseUrl },
      ({ db, pipeline, sidSeed }) =>
        runStreamDrill({
          db,
          pipeline,
          sidSeed,
          ...STREAM,
          async fault() {
            const startedAt = Date.now();
            await cluster.restart(2_000);
            const downMs = Date.now() - startedAt;
            return {
              restarted: 'drill-owned Postgres, fast shutdown',
              downMs,
              ...(await superviseSmsWorkers(pipeline)),
            };
          },
        }),
    );
    const crashed = (result.figures.fault.crashed as string[]).length;
    return {
      name: 'drill-postgres-restart',
      goals: [
        ...drillGoals(result.counts),
        { goal: 'no service process crashes (restarted as npm start would)', value: crashed, met: crashed === 0 },
      ],
      figures: result.figures,
    };
  } finally {
    await cluster.destroy();
  }
}

/**
 * Does for five seconds what `npm start`'s supervisor does: an SMS worker that died is
 * reported and started again after 1 s. Reports which processes died and how.
 */
async function superviseSmsWorkers(pipeline: Pipeline): Promise<{ crashed: string[] }> {
  const crashed: string[] = [];
  const until = Date.now() + 5_000;
  while (Date.now() < until) {
    for (const worker of [...pipeline.smsWorkers]) {
      if (worker.child.exitCode === null && worker.child.signalCode === null) continue;
      const lastLine = worker.output().trim().split('\n').pop() ?? '';
      crashed.push(`sms worker exited ${worker.child.exitCode ?? worker.child.signalCode}: ${lastLine.slice(0, 300)}`);
      pipeline.smsWorkers.splice(pipeline.smsWorkers.indexOf(worker), 1);
      await new Promise((resolve) => setTimeout(resolve, 1_000));
      await pipeline.startSmsWorker();
    }
    if (pipeline.ingress.child.exitCode !== null) crashed.push(`ingress exited ${pipeline.ingress.child.exitCode}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return { crashed };
}

async function redisOutage(): Promise<BenchResult> {
  const redis = await startDrillRedis();
  try {
    const result = await withPipeline(STREAM_CALLBACKS, { redisUrl: redis.url }, ({ db, pipeline, sidSeed }) =>
      runStreamDrill({
        db,
        pipeline,
        sidSeed,
        ...STREAM,
        async fault() {
          // kill -9: what Redis acknowledged survives only if appendfsync always wrote it first.
          await redis.kill();
          await new Promise((resolve) => setTimeout(resolve, 5_000));
          await redis.start();
          return { killed: 'drill-owned redis-server, SIGKILL (appendonly yes, appendfsync always)', downMs: 5_000 };
        },
      }),
    );
    const quick = result.figures.client.failedAnswerMaxMs <= 1_000;
    const retried = (result.figures.client.answers['503'] ?? 0) > 0;
    return {
      name: 'drill-redis-outage',
      goals: [
        ...drillGoals(result.counts),
        { goal: 'outage answered 503', value: result.figures.client.answers['503'] ?? 0, met: retried },
        { goal: 'failed answers within 1 s', value: result.figures.client.failedAnswerMaxMs, met: quick },
      ],
      figures: result.figures,
    };
  } finally {
    await redis.destroy();
  }
}

async function burst(): Promise<BenchResult> {
  const figures = await withPipeline(BURST_CALLBACKS, {}, async ({ db, pipeline, sidSeed }) => {
    // Everything at once: many connections, no pacing.
    const load = await runLoad({
      target: pipeline.statusUrl,
      publicUrl: pipeline.statusUrl,
      authToken: BENCH_AUTH_TOKEN,
      connections: 200,
      amount: BURST_CALLBACKS,
      sidSeed,
    });
    await waitForApplied(db, load.ok, 240_000);
    const stats = await readAppliedStats(db);
    return { load, stats };
  });
  const { load, stats } = figures;
  const failed = load.non2xx + load.errors + load.timeouts;
  const lost = Math.max(0, BURST_CALLBACKS - stats.applied);
  return {
    name: 'drill-burst',
    goals: [
      { goal: 'no non-2xx', value: failed, met: failed === 0 },
      { goal: 'lost = 0', value: lost, met: lost === 0 },
      { goal: 'duplicated = 0', value: stats.duplicated, met: stats.duplicated === 0 },
    ],
    figures: {
      sent: BURST_CALLBACKS,
      accepted: load.ok,
      applied: stats.applied,
      duplicated: stats.duplicated,
      lost,
      drainSeconds: stats.drainMs / 1_000,
      acceptSeconds: load.durationSeconds,
      ingressRequestsPerSecond: load.requestsPerSecond,
      ingressP99Ms: load.latencyP99Ms,
      appliedPerSecond: stats.endToEndPerSecond,
      load,
      stats,
    },
  };
}

export const benchmarks = {
  'drill-sms-worker-kill': smsWorkerKill,
  'drill-postgres-restart': postgresRestart,
  'drill-redis-outage': redisOutage,
  'drill-burst': burst,
};
