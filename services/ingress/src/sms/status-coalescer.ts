import { MAX_STATUS_CALLBACKS_PER_JOB, prepareJob, type SmsStatusCallback } from '@series-killer/shared';
import type { JobBatcher } from '../enqueue/job-batcher.ts';

/** Turns status callbacks into jobs, many callbacks per job. */
export interface StatusCoalescer {
  /** Resolves once Redis has stored the job that carries this callback. */
  add(callback: SmsStatusCallback): Promise<void>;
}

/**
 * Collects the status callbacks of every request that reaches this step in one event-loop turn
 * into one `apply-sms-statuses` job (several when there are more than a job carries), so the
 * worker applies them in one transaction and Redis stores one job instead of hundreds. Each
 * request settles with its job. Duplicates may share a job or not: Postgres deduplicates.
 */
export function createStatusCoalescer(batcher: JobBatcher): StatusCoalescer {
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
        if (waiting.length === 0) setImmediate(flush);
        waiting.push({ callback, settle: (stored) => stored.then(() => resolve(), reject) });
      });
    },
  };
}
