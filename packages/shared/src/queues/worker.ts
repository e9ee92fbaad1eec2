import { type Job, UnrecoverableError, Worker, type WorkerOptions } from 'bullmq';
import type { Logger } from 'pino';
import type { Config } from '../config/load-config.ts';
import { PayloadValidationError } from '../errors/errors.ts';
import { bullPrefix, type RedisConnection } from '../redis/redis-connection.ts';
import type { JobData, JobNameOf, QueueName } from './job-catalogue.ts';
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
  /**
   * What a completed job keeps of its data while it waits to be removed (its payload
   * without phone numbers or bodies). Default: the payload as it is.
   */
  redactCompleted?: (data: unknown) => Record<string, unknown>;
}

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
 * UnrecoverableError for what can never succeed.
 */
export function createWorker<Q extends QueueName>(
  queue: Q,
  handlers: JobHandlers<Q>,
  options: CreateWorkerOptions,
): Worker {
  const log = options.logger.child({ queue });
  const worker = new Worker(
    queue,
    async (job: Job) => {
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
  const redact = options.redactCompleted;
  if (redact) {
    worker.on('completed', (job) => {
      // After completion, not before: a job that crashed in between must still hold its payload.
      job.updateData(redact(job.data)).catch((error: unknown) => {
        log.warn({ jobId: job.id, err: error }, 'could not redact a completed job');
      });
    });
  }
  worker.on('failed', (job, error) => {
    const final = !job || error instanceof UnrecoverableError || job.attemptsMade >= (job.opts.attempts ?? 1);
    log[final ? 'error' : 'warn'](
      { jobId: job?.id, job: job?.name, attempt: job?.attemptsMade, err: error },
      final ? 'job failed' : 'job will retry',
    );
  });
  worker.on('error', (error) => log.error({ err: error }, 'worker error'));
  return worker;
}
