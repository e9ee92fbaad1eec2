// Fault drills: status callbacks (and, in the Postgres outage drill, inbound SMS and calls) streamed
// through the real pipeline while one part fails and comes back; every accepted webhook must be
// applied exactly once.
import { bullPrefix, type Database, type Db, QUEUE_NAMES } from '@series-killer/shared';
import {
  createTestDatabase,
  createTestQueuePrefix,
  deleteQueuePrefix,
  TEST_REDIS_URL,
} from '@series-killer/shared/testing';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { Kysely, PostgresDialect, sql } from 'kysely';
import pg from 'pg';
import { drillGoals, runStreamDrill } from '../lib/drill.ts';
import { runLoad } from '../lib/load.ts';
import {
  appliedMessageSids,
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
import { sendLikeTwilio } from '../lib/twilio-like-client.ts';
import { newSidSeed, type SignedRequest, signedStatusCallbacks } from '../load/signed-status-callbacks.ts';
import { signedInboundSms, signedIncomingCalls } from '../load/signed-webhooks.ts';

const STREAM_CALLBACKS = 3_000;
const STREAM_RATE = 300;
/** Every stream drill: its volume and pace, the fault 3 s in, and time enough to apply everything on a busy machine. */
const STREAM = { count: STREAM_CALLBACKS, ratePerSecond: STREAM_RATE, faultAfterMs: 3_000, applyTimeoutMs: 120_000 };
const BURST_CALLBACKS = Number(process.env.BENCH_BURST_CALLBACKS ?? 20_000);

interface DrillEnv {
  db: Db;
  pipeline: Pipeline;
  sidSeed: string;
  queuePrefix: string;
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
    return await drill({ db, pipeline, sidSeed, queuePrefix: prefix });
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

/** How long the outage drill keeps Postgres down, in seconds (BENCH_POSTGRES_OUTAGE_SECONDS; default 300). */
const POSTGRES_OUTAGE_SECONDS = Number(process.env.BENCH_POSTGRES_OUTAGE_SECONDS ?? 300);
/** Webhooks per second of each kind, all through the ingress, before, during and after the outage. */
const OUTAGE_FLOW = { statusCallbacks: 20, inboundSms: 5, incomingCalls: 2 };
const OUTAGE_LEAD_MS = 15_000;
const OUTAGE_TAIL_MS = 30_000;

/** Per kind of webhook: sent, answered 2xx, applied in Postgres, and accepted but never applied. */
interface FlowCounts {
  sent: number;
  accepted: number;
  applied: number;
  lost: number;
}

/**
 * Postgres (the drill's own) stopped for minutes under a steady flow of status callbacks,
 * inbound SMS and incoming calls, with every service running as a process: the ingress keeps
 * accepting (it needs only Redis), the workers wait for the database, and once it is back every
 * accepted webhook is applied, none failed, none lost.
 */
async function postgresOutage(): Promise<BenchResult> {
  const outageMs = POSTGRES_OUTAGE_SECONDS * 1_000;
  const seconds = (OUTAGE_LEAD_MS + outageMs + OUTAGE_TAIL_MS) / 1_000;
  const statusCount = Math.round(OUTAGE_FLOW.statusCallbacks * seconds);
  const cluster = await startPostgresCluster();
  try {
    const figures = await withPipeline(
      statusCount,
      { databaseUrl: cluster.databaseUrl, otherWorkers: true },
      async ({ db, pipeline, sidSeed, queuePrefix }) => {
        const authToken = BENCH_AUTH_TOKEN;
        const flows = {
          statusCallbacks: signedStatusCallbacks(statusCount, { authToken, url: pipeline.statusUrl, sidSeed }),
          inboundSms: signedInboundSms(Math.round(OUTAGE_FLOW.inboundSms * seconds), {
            authToken,
            url: `${pipeline.baseUrl}/twilio/sms`,
          }),
          incomingCalls: signedIncomingCalls(Math.round(OUTAGE_FLOW.incomingCalls * seconds), {
            authToken,
            url: `${pipeline.baseUrl}/twilio/voice`,
          }),
        };
        const send = (url: string, requests: SignedRequest[], ratePerSecond: number) =>
          sendLikeTwilio({ url, requests, ratePerSecond });
        const sending = Promise.all([
          send(pipeline.statusUrl, flows.statusCallbacks, OUTAGE_FLOW.statusCallbacks),
          send(`${pipeline.baseUrl}/twilio/sms`, flows.inboundSms, OUTAGE_FLOW.inboundSms),
          send(`${pipeline.baseUrl}/twilio/voice`, flows.incomingCalls, OUTAGE_FLOW.incomingCalls),
        ]);
        await new Promise((resolve) => setTimeout(resolve, OUTAGE_LEAD_MS));
        const downAt = Date.now();
        await cluster.restart(outageMs);
        const backAt = Date.now();
        const [status, inbound, calls] = await sending;
        const accepted = {
          statusCallbacks: status.acceptedSids,
          inboundSms: inbound.acceptedSids,
          incomingCalls: calls.acceptedSids,
        };
        const applied = await waitForEveryFlow(db, accepted, 180_000);
        const counts = {
          statusCallbacks: flowCounts(flows.statusCallbacks.length, accepted.statusCallbacks, applied.statusCallbacks),
          inboundSms: flowCounts(flows.inboundSms.length, accepted.inboundSms, applied.inboundSms),
          incomingCalls: flowCounts(flows.incomingCalls.length, accepted.incomingCalls, applied.incomingCalls),
        };
        const crashed = [pipeline.ingress, ...pipeline.smsWorkers, ...pipeline.otherWorkers]
          .filter((p) => p.child.exitCode !== null || p.child.signalCode !== null)
          .map((p) => p.output().trim().split('\n').pop()?.slice(0, 300) ?? '');
        return {
          outageSeconds: Math.round((backAt - downAt) / 1_000),
          appliedWithinMsOfRestart: applied.doneAt === undefined ? null : applied.doneAt - backAt,
          ...counts,
          failedJobs: await failedJobs(queuePrefix),
          crashed,
        };
      },
    );
    const flows = [figures.statusCallbacks, figures.inboundSms, figures.incomingCalls];
    const lost = flows.reduce((sum, flow) => sum + flow.lost, 0);
    const notAccepted = flows.reduce((sum, flow) => sum + flow.sent - flow.accepted, 0);
    return {
      name: 'drill-postgres-outage',
      goals: [
        {
          goal: `all applied after ${POSTGRES_OUTAGE_SECONDS} s of Postgres outage`,
          value: flows.map((flow) => `${flow.applied}/${flow.sent}`).join(', '),
          met: lost === 0 && notAccepted === 0,
        },
        { goal: 'failed jobs = 0', value: figures.failedJobs, met: figures.failedJobs === 0 },
        { goal: 'lost = 0', value: lost, met: lost === 0 },
        { goal: 'no service process crashes', value: figures.crashed.length, met: figures.crashed.length === 0 },
      ],
      figures: { ...figures, flowPerSecond: OUTAGE_FLOW },
    };
  } finally {
    await cluster.destroy();
  }
}

function flowCounts(sent: number, accepted: string[], applied: Set<string>): FlowCounts {
  return {
    sent,
    accepted: accepted.length,
    applied: accepted.filter((sid) => applied.has(sid)).length,
    lost: accepted.filter((sid) => !applied.has(sid)).length,
  };
}

interface AppliedFlows {
  statusCallbacks: Set<string>;
  inboundSms: Set<string>;
  incomingCalls: Set<string>;
  /** When everything accepted was found applied; undefined if the deadline came first. */
  doneAt?: number;
}

/** Polls Postgres until every accepted webhook of each flow left its row, or `timeoutMs` passed. */
async function waitForEveryFlow(
  db: Db,
  accepted: Record<'statusCallbacks' | 'inboundSms' | 'incomingCalls', string[]>,
  timeoutMs: number,
): Promise<AppliedFlows> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const applied = await readAppliedFlows(db).catch(() => undefined);
    const done =
      applied !== undefined &&
      accepted.statusCallbacks.every((sid) => applied.statusCallbacks.has(sid)) &&
      accepted.inboundSms.every((sid) => applied.inboundSms.has(sid)) &&
      accepted.incomingCalls.every((sid) => applied.incomingCalls.has(sid));
    if (applied && (done || Date.now() > deadline)) return done ? { ...applied, doneAt: Date.now() } : applied;
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
}

async function readAppliedFlows(db: Db): Promise<AppliedFlows> {
  const [status, inbound, calls] = await Promise.all([
    appliedMessageSids(db),
    db.selectFrom('sms_history').select('message_sid').where('direction', '=', 'inbound').execute(),
    db.selectFrom('call_history').select('call_sid').execute(),
  ]);
  return {
    statusCallbacks: status,
    inboundSms: new Set(inbound.map((row) => row.message_sid ?? '')),
    incomingCalls: new Set(calls.map((row) => row.call_sid)),
  };
}

/** Jobs in the failed set of every queue under the drill's prefix. */
async function failedJobs(queuePrefix: string): Promise<number> {
  const redis = new Redis(TEST_REDIS_URL, { maxRetriesPerRequest: null });
  try {
    let failed = 0;
    for (const name of QUEUE_NAMES) {
      const queue = new Queue(name, { connection: redis, prefix: bullPrefix(queuePrefix) });
      failed += (await queue.getJobCounts('failed')).failed ?? 0;
      await queue.close();
    }
    return failed;
  } finally {
    redis.disconnect();
  }
}

export const benchmarks = {
  'drill-postgres-outage': postgresOutage,
  'drill-sms-worker-kill': smsWorkerKill,
  'drill-postgres-restart': postgresRestart,
  'drill-redis-outage': redisOutage,
  'drill-burst': burst,
};
