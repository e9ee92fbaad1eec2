// The status-callback pipeline as real processes: ingress → Redis/BullMQ → SMS worker(s) → Postgres
// (with the onboarding and summarizer workers when asked, for inbound SMS and calls), plus the rows it updates and the DB timestamps it is measured by. Each process runs as `npm start`
// runs it: compiled, with its Node flags.
import { randomUUID } from 'node:crypto';
import { type Db, SANDBOX_DEFAULTS } from '@series-killer/shared';
import { freePort } from '@series-killer/shared/testing';
import { sql } from 'kysely';
import { buildServices } from '../../scripts/stack/build-services.ts';
import {
  COMPILED_ENTRY_POINTS,
  INGRESS_NODE_FLAGS,
  serviceNodeOptions,
  WORKER_NODE_FLAGS,
} from '../../scripts/stack/stack-processes.ts';
import { benchMessageSid } from '../load/signed-status-callbacks.ts';
import { type RunningProcess, startProcess, waitForHttp, waitForOutput } from './processes.ts';

export const BENCH_AUTH_TOKEN = SANDBOX_DEFAULTS.twilioAuthToken;

export interface PipelineOptions {
  databaseUrl: string;
  queuePrefix: string;
  /** WORKER_CONCURRENCY of each SMS worker process. Default 10. */
  concurrency?: number;
  /** DATABASE_POOL_SIZE of each SMS worker process. Default 10 (the product's default). */
  poolSize?: number;
  /** SMS worker processes started with the ingress. Default 1; 0 starts none (a backlog builds up). */
  smsWorkers?: number;
  /** Default: REDIS_URL, else the local Redis. */
  redisUrl?: string;
  /** More environment for every process (e.g. TWILIO_API_BASE_URL of a sandbox the drill runs). Default none. */
  env?: Record<string, string>;
  /** Also start the onboarding and summarizer worker processes (inbound SMS and call events then flow to the end). Default false. */
  otherWorkers?: boolean;
}

export interface Pipeline {
  /** The ingress's base URL, which webhooks are signed for. */
  baseUrl: string;
  /** `POST /twilio/sms/status` of the ingress; also the URL callbacks are signed for. */
  statusUrl: string;
  ingress: RunningProcess;
  /** The SMS worker processes currently running, oldest first. */
  smsWorkers: RunningProcess[];
  /** The onboarding and summarizer processes, when asked for. */
  otherWorkers: RunningProcess[];
  /** Starts one more SMS worker process and waits until its workers are ready. */
  startSmsWorker(): Promise<RunningProcess>;
  /** Stops every process (SIGTERM, then SIGKILL after 15 s). */
  stop(): Promise<void>;
}

/** Starts the ingress and the SMS worker(s) on one database and queue prefix; stops what started if any fails. */
export async function startPipeline(options: PipelineOptions): Promise<Pipeline> {
  const port = await freePort();
  const baseUrl = `http://127.0.0.1:${port}`;
  await buildServices();
  const env: Record<string, string> = {
    NODE_OPTIONS: serviceNodeOptions(),
    DATABASE_URL: options.databaseUrl,
    QUEUE_PREFIX: options.queuePrefix,
    PORT: String(port),
    PUBLIC_BASE_URL: baseUrl,
    ...(options.redisUrl ? { REDIS_URL: options.redisUrl } : {}),
    ...options.env,
  };
  const smsWorkers: RunningProcess[] = [];
  const otherWorkers: RunningProcess[] = [];
  const ingress = startProcess(COMPILED_ENTRY_POINTS.ingress, env, INGRESS_NODE_FLAGS);

  async function startSmsWorker(): Promise<RunningProcess> {
    const worker = startProcess(
      COMPILED_ENTRY_POINTS.sms,
      {
        ...env,
        WORKER_CONCURRENCY: String(options.concurrency ?? 10),
        DATABASE_POOL_SIZE: String(options.poolSize ?? 10),
        // Info level only for the start-up line waited on; the workers log nothing per job at info.
        LOG_LEVEL: 'info',
      },
      WORKER_NODE_FLAGS,
    );
    smsWorkers.push(worker);
    await waitForOutput(worker, 'sms workers started');
    return worker;
  }

  async function startOtherWorker(entry: string, startedLine: string): Promise<void> {
    const worker = startProcess(entry, { ...env, LOG_LEVEL: 'info' }, WORKER_NODE_FLAGS);
    otherWorkers.push(worker);
    await waitForOutput(worker, startedLine);
  }

  async function stop(): Promise<void> {
    await Promise.all([ingress.stop(), ...[...smsWorkers, ...otherWorkers].map((worker) => worker.stop())]);
  }

  try {
    await waitForHttp(`${baseUrl}/healthz`, ingress);
    for (let i = 0; i < (options.smsWorkers ?? 1); i += 1) await startSmsWorker();
    if (options.otherWorkers) {
      await startOtherWorker(COMPILED_ENTRY_POINTS.onboarding, 'onboarding worker started');
      await startOtherWorker(COMPILED_ENTRY_POINTS.summarizer, 'summarizer workers started');
    }
  } catch (error) {
    await stop();
    throw error;
  }
  return {
    baseUrl,
    statusUrl: `${baseUrl}/twilio/sms/status`,
    ingress,
    smsWorkers,
    otherWorkers,
    startSmsWorker,
    stop,
  };
}

/** Users the seeded messages belong to; many messages share a user, as reminders do. */
const SEED_USERS = 100;

/**
 * Inserts, in SQL, `count` sent outbound messages (`sms_history`, `onboarding_messages` with
 * status `sent` and their `sms_deliveries` records) whose SIDs are `benchMessageSid(seed, 0…count-1)`, as the SMS worker leaves them.
 */
export async function seedOutboundMessages(db: Db, seed: string, count: number): Promise<void> {
  const users = Array.from({ length: SEED_USERS }, (_, i) => ({
    id: randomUUID(),
    phone: `+1415600${String(1000 + i)}`,
  }));
  await db
    .insertInto('auth.users')
    .values(users.map((user) => ({ id: user.id, phone: user.phone.slice(1) })))
    .execute();
  const sids = Array.from({ length: count }, (_, i) => benchMessageSid(seed, i));
  const userIds = sids.map((_, i) => users[i % SEED_USERS]?.id ?? '');
  const phones = sids.map((_, i) => users[i % SEED_USERS]?.phone ?? '');
  await sql`
    insert into public.sms_history (user_id, phone_number, message_sid, direction, content)
    select u, p, s, 'outbound', 'Reminder' from unnest(${userIds}::uuid[], ${phones}::text[], ${sids}::text[]) as t(u, p, s)
  `.execute(db);
  await sql`
    with messages as (
      insert into public.onboarding_messages (user_id, phone_number, message_type, message_sid, status, content, sent_at)
      select u, p, 'reminder', s, 'sent', 'Reminder', now() from unnest(${userIds}::uuid[], ${phones}::text[], ${sids}::text[]) as t(u, p, s)
      returning id, user_id, phone_number, message_sid
    )
    insert into public.sms_deliveries (send_key, message_sid, user_id, onboarding_message_id, to_number, sender,
      body_sha256, status, accepted_at)
    select 'onboarding-message.' || id, message_sid, user_id, id, phone_number, '+15005550006',
      encode(sha256('Reminder'), 'hex'), 'sent', now()
    from messages
  `.execute(db);
}

export interface AppliedStats {
  /** Status events logged. */
  events: number;
  /** Of those, applied to their message. */
  applied: number;
  /** Events beyond one per (MessageSid, status): should be impossible. */
  duplicated: number;
  /** Onboarding messages now `delivered`. */
  delivered: number;
  /** Webhook received (ingress clock) → apply transaction (Postgres clock), ms. */
  latencyP50Ms: number;
  latencyP99Ms: number;
  latencyMaxMs: number;
  /** Applied events per second between the 10th and 90th percentile of apply times (steady state). */
  sustainedPerSecond: number;
  /** Applied events / (last apply − first webhook received), per second. */
  endToEndPerSecond: number;
  /** First webhook received → last event applied, ms. */
  drainMs: number;
}

/**
 * Reads the pipeline's outcome from Postgres. `applied_at` is `now()` of the apply transaction,
 * i.e. its start; the commit follows within that transaction's few statements, so these
 * latencies understate the true ones by the transaction's length (about a millisecond). With
 * `receivedSince`, only the events received from then on count (a warm-up's are left out).
 */
export async function readAppliedStats(db: Db, receivedSince?: Date): Promise<AppliedStats> {
  const { rows } = await sql<{
    events: string;
    applied: string;
    distinct_events: string;
    p50: number | null;
    p99: number | null;
    max: number | null;
    p10_at: number | null;
    p90_at: number | null;
    first_received: number | null;
    last_applied: number | null;
  }>`
    with e as (
      select message_sid, status, applied_at, extract(epoch from applied_at - received_at) * 1000 as ms,
             extract(epoch from applied_at) as applied_s, extract(epoch from received_at) as received_s
      from public.sms_status_events
      where received_at >= ${receivedSince ?? new Date(0)}
    )
    select count(*) as events,
           count(applied_at) as applied,
           count(distinct (message_sid, status)) as distinct_events,
           percentile_cont(0.5) within group (order by ms) as p50,
           percentile_cont(0.99) within group (order by ms) as p99,
           max(ms) as max,
           percentile_cont(0.1) within group (order by applied_s) as p10_at,
           percentile_cont(0.9) within group (order by applied_s) as p90_at,
           min(received_s) as first_received,
           max(applied_s) as last_applied
    from e
  `.execute(db);
  const row = rows[0];
  const delivered = await db
    .selectFrom('onboarding_messages')
    .select((eb) => eb.fn.countAll<string>().as('count'))
    .where('status', '=', 'delivered')
    .executeTakeFirstOrThrow();
  const applied = Number(row?.applied ?? 0);
  const steadySpan = Number(row?.p90_at ?? 0) - Number(row?.p10_at ?? 0);
  const wholeSpan = Number(row?.last_applied ?? 0) - Number(row?.first_received ?? 0);
  return {
    events: Number(row?.events ?? 0),
    applied,
    duplicated: Number(row?.events ?? 0) - Number(row?.distinct_events ?? 0),
    delivered: Number(delivered.count),
    latencyP50Ms: Math.round(Number(row?.p50 ?? Number.NaN)),
    latencyP99Ms: Math.round(Number(row?.p99 ?? Number.NaN)),
    latencyMaxMs: Math.round(Number(row?.max ?? Number.NaN)),
    sustainedPerSecond: steadySpan > 0 ? Math.round((0.8 * applied) / steadySpan) : Number.NaN,
    endToEndPerSecond: wholeSpan > 0 ? Math.round(applied / wholeSpan) : Number.NaN,
    drainMs: Math.round(wholeSpan * 1_000),
  };
}

/** The SIDs whose status event has been applied. */
export async function appliedMessageSids(db: Db): Promise<Set<string>> {
  const rows = await db
    .selectFrom('sms_status_events')
    .select(['message_sid'])
    .where('applied_at', 'is not', null)
    .execute();
  return new Set(rows.map((row) => row.message_sid));
}

/**
 * Waits until `count` status events are applied or `timeoutMs` has passed; returns how many
 * are applied, so a drill can report what is missing instead of failing. A failed query (the
 * drill's own Postgres restarting) counts as "not yet".
 */
export async function waitForApplied(db: Db, count: number, timeoutMs: number): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  let applied = 0;
  for (;;) {
    try {
      const row = await db
        .selectFrom('sms_status_events')
        .select((eb) => eb.fn.count<string>('applied_at').as('applied'))
        .executeTakeFirstOrThrow();
      applied = Number(row.applied);
    } catch {
      // Postgres is away for a moment; ask again.
    }
    if (applied >= count || Date.now() > deadline) return applied;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}
