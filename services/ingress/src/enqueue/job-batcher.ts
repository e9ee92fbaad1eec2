import type { PreparedJob, QueueName, Queues } from '@series-killer/shared';
import { withTimeout } from '@series-killer/shared';

/** Redis did not acknowledge a job in time, or refused it. */
export class EnqueueError extends Error {
  readonly queue: QueueName;
  constructor(queue: QueueName, message: string, options?: ErrorOptions) {
    super(`could not enqueue on ${queue}: ${message}`, options);
    this.name = 'EnqueueError';
    this.queue = queue;
  }
}

export interface JobBatcherOptions {
  /** Milliseconds to wait for Redis to acknowledge a batch before its requests fail. Default 500: a 503 must reach Twilio within a second even when the machine is busy. */
  timeoutMs?: number;
  /** Called once per job with its queue, the milliseconds until it was stored or failed, and the outcome. */
  onSettled?: (queue: QueueName, ms: number, outcome: 'stored' | 'failed') => void;
}

/** Adds prepared jobs, several requests at a time. */
export interface JobBatcher {
  /** Resolves with the job's id once Redis has stored it (or already held a job with that id). */
  enqueue(job: PreparedJob): Promise<string>;
}

interface Waiting {
  job: PreparedJob;
  startedAt: number;
  resolve: (id: string) => void;
  reject: (error: Error) => void;
}

/**
 * Collects the jobs of all requests that reach the enqueue step in the same event-loop turn
 * and writes them per queue in one Redis round trip (`addBulk`, or `add` for a lone job). Each
 * request's promise settles only when its own job is stored. BullMQ keeps the existing job
 * when an id is already present, so duplicates inside or across batches collapse.
 */
export function createJobBatcher(queues: Queues, options: JobBatcherOptions = {}): JobBatcher {
  const timeoutMs = options.timeoutMs ?? 500;
  let waiting: Waiting[] = [];

  const settle = (entry: Waiting, outcome: 'stored' | 'failed') =>
    options.onSettled?.(entry.job.queue, performance.now() - entry.startedAt, outcome);

  /**
   * A lone job goes with `add`: `addBulk` builds an ioredis pipeline, which copies every one of
   * BullMQ's scripts onto itself, several times the cost of the job's own command.
   */
  function store(queue: QueueName, batch: Waiting[]): Promise<{ id?: string }[]> {
    const [lone] = batch;
    if (batch.length === 1 && lone) {
      const { name, data, opts } = lone.job;
      return queues[queue].add(name, data, opts).then((job) => [job]);
    }
    return queues[queue].addBulk(batch.map(({ job }) => ({ name: job.name, data: job.data, opts: job.opts })));
  }

  async function writeBatch(queue: QueueName, batch: Waiting[]): Promise<void> {
    try {
      const jobs = await withTimeout(store(queue, batch), timeoutMs, () => {
        throw new EnqueueError(queue, `no answer from Redis within ${timeoutMs} ms`);
      });
      batch.forEach((entry, index) => {
        settle(entry, 'stored');
        entry.resolve(jobs[index]?.id ?? '');
      });
    } catch (error) {
      const failure =
        error instanceof EnqueueError ? error : new EnqueueError(queue, 'Redis refused the batch', { cause: error });
      for (const entry of batch) {
        settle(entry, 'failed');
        entry.reject(failure);
      }
    }
  }

  function flush(): void {
    const byQueue = new Map<QueueName, Waiting[]>();
    for (const entry of waiting) {
      const batch = byQueue.get(entry.job.queue);
      if (batch) batch.push(entry);
      else byQueue.set(entry.job.queue, [entry]);
    }
    waiting = [];
    for (const [queue, batch] of byQueue) void writeBatch(queue, batch);
  }

  return {
    enqueue(job) {
      return new Promise<string>((resolve, reject) => {
        // setImmediate runs after the current poll phase, so every request body that finished
        // arriving in this turn joins the batch.
        if (waiting.length === 0) setImmediate(flush);
        waiting.push({ job, startedAt: performance.now(), resolve, reject });
      });
    },
  };
}
