import { Queue } from 'bullmq';
import type { Logger } from 'pino';
import type { Config } from '../config/load-config.ts';
import { PayloadValidationError } from '../errors/errors.ts';
import { bullPrefix, type RedisConnection } from '../redis/redis-connection.ts';
import { type JobData, type JobName, jobSchemas, QUEUE_NAMES, type QueueName, queueOfJob } from './job-catalogue.ts';
import { jobIdFor } from './job-ids.ts';
import { defaultJobOptions } from './job-options.ts';

export type Queues = { [Q in QueueName]: Queue };

/**
 * Opens every queue on one connection, with the catalogue's default options; connection
 * errors are logged rather than thrown. `skipWaitingForReady` stays off on purpose: each queue
 * then waits for the connection's first `ready` before its one-time set-up, which on a producer
 * connection (offline queue disabled) would otherwise fail while Redis is still connecting or
 * down, leaving the queue unusable after Redis returns.
 */
export function createQueues(connection: RedisConnection, redis: Config['redis'], logger: Logger): Queues {
  const entries = QUEUE_NAMES.map((name) => {
    const queue = new Queue(name, {
      connection,
      prefix: bullPrefix(redis.queuePrefix),
      defaultJobOptions: defaultJobOptions[name],
    });
    // Connection errors surface on every queue; unlistened, an 'error' event would end the process.
    queue.on('error', (error) => logger.warn({ err: error, queue: name }, 'queue connection error'));
    return [name, queue];
  });
  return Object.fromEntries(entries) as Queues;
}

export async function closeQueues(queues: Queues): Promise<void> {
  await Promise.all(Object.values(queues).map((queue) => queue.close()));
}

/** Validates a payload against the catalogue; throws PayloadValidationError naming each bad field. */
export function parseJobData<N extends JobName>(name: N, data: unknown): JobData<N> {
  const result = jobSchemas[name].safeParse(data);
  if (result.success) return result.data as JobData<N>;
  const issues = result.error.issues.map((issue) => `${issue.path.join('.') || '(payload)'} ${issue.message}`);
  throw new PayloadValidationError(`invalid ${name} payload`, issues, { cause: result.error });
}

/** A job ready for `Queue.add`/`addBulk`: validated, on its queue, with its business-key id. */
export interface PreparedJob<N extends JobName = JobName> {
  queue: QueueName;
  name: N;
  data: JobData<N>;
  opts: { jobId?: string; delay?: number };
}

export function prepareJob<N extends JobName>(
  name: N,
  data: JobData<N>,
  opts: { delay?: number } = {},
): PreparedJob<N> {
  const parsed = parseJobData(name, data);
  const jobId = jobIdFor[name](parsed);
  return { queue: queueOfJob[name], name, data: parsed, opts: { ...opts, ...(jobId ? { jobId } : {}) } };
}

/**
 * Adds one job to its queue with its deterministic id. Adding the same business event
 * twice returns the existing job instead of creating another.
 */
export async function addJob<N extends JobName>(
  queues: Queues,
  name: N,
  data: JobData<N>,
  opts: { delay?: number } = {},
): Promise<string | undefined> {
  const job = prepareJob(name, data, opts);
  const added = await queues[job.queue].add(job.name, job.data, job.opts);
  return added.id;
}

/**
 * Adds one job like addJob, or runs again the finished job that still holds its id when that
 * job ended in one of `rerunStates`: an id only deduplicates while its job exists, so a failed
 * or completed job kept for its retention would swallow the add. The rerun gets a fresh round
 * of attempts and the payload given here, since a finished job keeps only its redacted payload.
 * Returns whether the job was added or run again.
 */
export async function addOrRerunJob<N extends JobName>(
  queues: Queues,
  name: N,
  data: JobData<N>,
  rerunStates: readonly ('failed' | 'completed')[],
): Promise<'added' | 'rerun'> {
  const job = prepareJob(name, data);
  const queue = queues[job.queue];
  const existing = job.opts.jobId ? await queue.getJob(job.opts.jobId) : undefined;
  const state = existing ? await existing.getState() : undefined;
  if (existing && (state === 'failed' || state === 'completed') && rerunStates.includes(state)) {
    await existing.updateData(job.data);
    await existing.retry(state, { resetAttemptsMade: true });
    return 'rerun';
  }
  await queue.add(job.name, job.data, job.opts);
  return 'added';
}
