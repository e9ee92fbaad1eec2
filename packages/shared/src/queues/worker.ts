import { DelayedError, type Job, UnrecoverableError, Worker, type WorkerOptions } from 'bullmq';
import type { Logger } from 'pino';
import type { Config } from '../config/load-config.ts';
import { PayloadValidationError } from '../errors/errors.ts';
import { bullPrefix, type RedisConnection } from '../redis/redis-connection.ts';
import { isDependencyUnavailable } from './dependency-outage.ts';
import type { JobData, JobName, JobNameOf, QueueName } from './job-catalogue.ts';
import { OUTAGE_RETRY, type OutageRetryPolicy, outageRetryDelayMs } from './job-options.ts';
import { redactFinishedJob } from './job-redactions.ts';
import { parseJobData } from './queues.ts';

/** One handler per job name of a queue; the compiler checks that none is missing. */
export type JobHandlers<Q extends QueueName> = {
  [N in JobNameOf<Q>]: (data: JobData<N>, job: Job) => Promise<unknown>;
};

export interface CreateWorkerOptions {
  connection: RedisConnection;
  redis: Config['redis'];
  logger: Logger;
  /** Jobs run at once by this process. Default 10. */
  concurrency?: number;
  /** BullMQ's global rate limiter (holds across every worker process of the queue). */
  limiter?: WorkerOptions['limiter'];
  /** How a job waits out a dependency that cannot be reached. Default OUTAGE_RETRY. */
  outageRetry?: OutageRetryPolicy;
}

/** Where a job counts its outage retries, beside its payload (the payload's schema drops it). */
export const OUTAGE_RETRIES_KEY = 'outageRetries';

/**
 * How long a job stays locked to its worker without a renewal, in milliseconds (BullMQ's
 * default is 30 s). A worker that dies (SIGKILL) holds its jobs this long; with the stalled
 * check below they run again within about 7.5 s. The price: the lock is renewed every 2.5 s,
 * and a worker whose event loop is blocked longer than 5 s loses its jobs to another worker,
 * which runs them again (every handler is idempotent, so that costs work, not correctness).
 */
export const JOB_LOCK_DURATION_MS = 5_000;
/** How often each worker looks for jobs whose lock expired, in milliseconds (BullMQ: 30 s). */
export const STALLED_CHECK_INTERVAL_MS = 2_500;

/**
 * A thin worker: validates the payload against the job catalogue (a bad payload fails at
 * once as unrecoverable, with the reason visible in the dashboard), then calls the job's
 * handler. Handlers return when done or skipped, throw to retry, or throw
 * UnrecoverableError for what can never succeed. A job that failed because a dependency was
 * unreachable waits for it (see OUTAGE_RETRY) without spending an attempt. A finished job
 * keeps only what its redaction (jobRedactions) leaves of its payload, and no progress.
 */
export function createWorker<Q extends QueueName>(
  queue: Q,
  handlers: JobHandlers<Q>,
  options: CreateWorkerOptions,
): Worker {
  const log = options.logger.child({ queue });
  const outageRetry = options.outageRetry ?? OUTAGE_RETRY;
  const worker = new Worker(
    queue,
    async (job: Job, token?: string) => {
      try {
        return await runHandler(job);
      } catch (error) {
        if (!isDependencyUnavailable(error)) throw error;
        await waitOutOutage(job, token, error, outageRetry, log);
      }
    },
    {
      connection: options.connection,
      prefix: bullPrefix(options.redis.queuePrefix),
      concurrency: options.concurrency ?? 10,
      limiter: options.limiter,
      lockDuration: JOB_LOCK_DURATION_MS,
      stalledInterval: STALLED_CHECK_INTERVAL_MS,
      // Short locks make a stall after a long pause likelier; a job fails as stalled only on its third.
      maxStalledCount: 2,
      autorun: false,
    },
  );

  async function runHandler(job: Job): Promise<unknown> {
    const handler = handlers[job.name as JobNameOf<Q>] as ((data: unknown, job: Job) => Promise<unknown>) | undefined;
    if (!handler) throw new UnrecoverableError(`no handler for job "${job.name}" on queue ${queue}`);
    let data: unknown;
    try {
      data = parseJobData(job.name as JobNameOf<Q>, job.data);
    } catch (error) {
      if (error instanceof PayloadValidationError) throw new UnrecoverableError(error.message);
      throw error;
    }
    return handler(data, job);
  }

  // After the job finished, not before: a job that crashed in between must still hold its payload.
  worker.on('completed', (job) => void redactFinished(job, 'completed', log));
  worker.on('failed', (job, error) => {
    const final = !job || error instanceof UnrecoverableError || job.attemptsMade >= (job.opts.attempts ?? 1);
    if (job && final) void redactFinished(job, 'failed', log);
    log[final ? 'error' : 'warn'](
      { jobId: job?.id, job: job?.name, attempt: job?.attemptsMade, err: error },
      final ? 'job failed' : 'job will retry',
    );
  });
  worker.on('error', (error) => log.error({ err: error }, 'worker error'));
  return worker;
}

/**
 * Puts a job whose dependency is away back as delayed, its outage retries counted in its data,
 * and ends the run with DelayedError (no attempt spent). Past the policy's bound, or when Redis
 * itself cannot take the move, rethrows `error`: the job then fails as any error makes it.
 */
async function waitOutOutage(
  job: Job,
  token: string | undefined,
  error: unknown,
  policy: OutageRetryPolicy,
  log: Logger,
): Promise<never> {
  const retries = Number((job.data as Record<string, unknown>)[OUTAGE_RETRIES_KEY] ?? 0);
  if (retries >= policy.maxRetries || token === undefined) throw error;
  const delayMs = outageRetryDelayMs(policy, retries);
  try {
    await job.updateData({ ...job.data, [OUTAGE_RETRIES_KEY]: retries + 1 });
    await job.moveToDelayed(Date.now() + delayMs, token);
  } catch {
    throw error;
  }
  // Once per job at warn: an outage puts every job in flight here, every few seconds.
  log[retries === 0 ? 'warn' : 'debug'](
    { jobId: job.id, job: job.name, outageRetry: retries + 1, retryInMs: delayMs, err: error },
    'a dependency is unreachable; the job waits for it',
  );
  throw new DelayedError();
}

/**
 * Leaves in Redis only what the job's redaction keeps, and no progress (a summary in parts, say).
 * The outage retries go too: a failed job retried by hand gets a fresh round of them.
 */
async function redactFinished(job: Job, outcome: 'completed' | 'failed', log: Logger): Promise<void> {
  try {
    const { [OUTAGE_RETRIES_KEY]: outageRetries, ...payload } = job.data as Record<string, unknown>;
    const redacted = redactFinishedJob(job.name as JobName, payload, outcome);
    if (redacted !== payload || outageRetries !== undefined) await job.updateData(redacted);
    if (job.progress !== 0) await job.updateProgress(0);
  } catch (error) {
    log.warn({ jobId: job.id, job: job.name, err: error }, `could not redact a ${outcome} job`);
  }
}
