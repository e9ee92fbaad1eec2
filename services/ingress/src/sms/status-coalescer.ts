import { MAX_STATUS_CALLBACKS_PER_JOB, prepareJob, type SmsStatusCallback } from '@series-killer/shared';
import type { JobBatcher } from '../enqueue/job-batcher.ts';

/** Turns status callbacks into jobs, many callbacks per job. */
export interface StatusCoalescer {
  /** Resolves once Redis has stored the job that carries this callback. */
  add(callback: SmsStatusCallback): Promise<void>;
}

export interface StatusCoalescerOptions {
  /**
   * How long the first callback of a job waits for others, in milliseconds. Default 5: under
   * load a job then carries tens of callbacks (one transaction for all of them), for at most
   * 5 ms more per answer; 0 takes only those of one event-loop turn.
   */
  windowMs?: number;
}

/**
 * Collects the status callbacks of every request that reaches this step within a short window
 * into one `apply-sms-statuses` job (several when there are more than a job carries), so the
 * worker applies them in one transaction and Redis stores one job instead of hundreds. Each
 * request settles with its job. Duplicates may share a job or not: Postgres deduplicates.
 */
export function createStatusCoalescer(batcher: JobBatcher, options: StatusCoalescerOptions = {}): StatusCoalescer {
  const windowMs = options.windowMs ?? 5;
  let waiting: { callback: SmsStatusCallback; settle: (stored: Promise<unknown>) => void }[] = [];

  function flush(): void {
    const turn = waiting;
    waiting = [];
    for (let start = 0; start < turn.length; start += MAX_STATUS_CALLBACKS_PER_JOB) {
      const chunk = turn.slice(start, start + MAX_STATUS_CALLBACKS_PER_JOB);
      const stored = batcher.enqueue(prepareJob('apply-sms-statuses', { callbacks: chunk.map((w) => w.callback) }));
      for (const entry of chunk) entry.settle(stored);
    }
  }

  return {
    add(callback) {
      return new Promise<void>((resolve, reject) => {
        if (waiting.length === 0) {
          if (windowMs > 0) setTimeout(flush, windowMs);
          else setImmediate(flush);
        }
        waiting.push({ callback, settle: (stored) => stored.then(() => resolve(), reject) });
      });
    },
  };
}
