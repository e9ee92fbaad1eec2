import { MAX_STATUS_CALLBACKS_PER_JOB, prepareJob, type SmsStatusCallback } from '@series-killer/shared';
import type { JobBatcher } from '../enqueue/job-batcher.ts';

/**
 * How long the first callback of a job waits for others to join it, in milliseconds. Twilio's
 * callbacks arrive as a steady trickle rather than in bursts: at 1,000/s an event-loop turn
 * holds one of them, and a job per callback costs the SMS worker and Postgres a transaction
 * each, which on a busy machine costs more latency than the wait. The price is paid by the
 * answer to Twilio, never by a lost callback: each request still answers only once its job is stored.
 */
export const STATUS_COALESCE_WINDOW_MS = 20;

/**
 * Callbacks after which a job goes without waiting out the window: under heavy traffic jobs
 * fill in a few milliseconds, and Twilio's requests are not kept waiting for more.
 */
export const STATUS_JOB_TARGET = 25;

/** Turns status callbacks into jobs, many callbacks per job. */
export interface StatusCoalescer {
  /** Resolves once Redis has stored the job that carries this callback. */
  add(callback: SmsStatusCallback): Promise<void>;
}

/**
 * Collects the status callbacks of every request that reaches this step within
 * `windowMs` of the first into one `apply-sms-statuses` job (at once when `target` have come), so
 * the worker applies them in one transaction and Redis stores one job instead of hundreds.
 * Each request settles with its job. Duplicates may share a job or not: Postgres deduplicates.
 */
export function createStatusCoalescer(
  batcher: JobBatcher,
  { windowMs = STATUS_COALESCE_WINDOW_MS, target = STATUS_JOB_TARGET } = {},
): StatusCoalescer {
  const jobSize = Math.min(target, MAX_STATUS_CALLBACKS_PER_JOB);
  /** The job being gathered: its callbacks, and the one promise every request in it waits on. */
  let open:
    | { callbacks: SmsStatusCallback[]; stored: Promise<void>; release: (stored: Promise<unknown>) => void }
    | undefined;
  let timer: NodeJS.Timeout | undefined;

  /** The job's stored promise; a job the catalogue refuses fails its requests instead of throwing in a timer. */
  function enqueueJob(callbacks: SmsStatusCallback[]): Promise<unknown> {
    try {
      return batcher.enqueue(prepareJob('apply-sms-statuses', { callbacks }));
    } catch (error) {
      return Promise.reject(error);
    }
  }

  function flush(): void {
    clearTimeout(timer);
    const job = open;
    open = undefined;
    job?.release(enqueueJob(job.callbacks));
  }

  function openJob() {
    let release: (stored: Promise<unknown>) => void = () => {};
    const stored = new Promise<void>((resolve, reject) => {
      release = (job) => job.then(() => resolve(), reject);
    });
    timer = setTimeout(flush, windowMs);
    return { callbacks: [], stored, release };
  }

  return {
    add(callback) {
      open ??= openJob();
      const { callbacks, stored } = open;
      callbacks.push(callback);
      if (callbacks.length >= jobSize) flush();
      return stored;
    },
  };
}
