import type { SmsStatusCallback } from '@series-killer/shared';
import type { AppliedCallbacks, IsolatedBatch } from './apply-status-callbacks.ts';

/** What one job's callbacks came to in the transaction that held them. */
export interface JobShare {
  /** This job's callbacks that failed on their own, each with its error. */
  failed: IsolatedBatch['failed'];
  /** How many of this job's callbacks wait in Postgres for their send. */
  waiting: number;
  /** Callbacks in the transaction that held this job's, its own included. */
  batch: number;
}

export interface StatusBatches {
  /** Applies one job's callbacks in a transaction shared with the jobs running beside it; settles once it committed. */
  apply(callbacks: readonly SmsStatusCallback[]): Promise<JobShare>;
}

/** How a transaction applies callbacks. */
export interface StatusAppliers {
  /** All of them in one transaction; throws when it fails. */
  applyTogether(callbacks: readonly SmsStatusCallback[]): Promise<AppliedCallbacks>;
  /** One job's, setting a bad callback apart (see applyStatusCallbacksIsolating). */
  applyIsolating(callbacks: readonly SmsStatusCallback[]): Promise<IsolatedBatch>;
}

/**
 * Callbacks a shared transaction carries at most (a job of more goes alone: a job is never
 * split). Each distinct SID holds an advisory lock until the commit, and Postgres's lock table
 * has room for `max_locks_per_transaction` (64) × `max_connections` of them across every
 * session: 250 per transaction, two transactions per process, leaves room for several replicas
 * on a small Supabase instance (60 connections: 3,840).
 */
export const STATUS_CALLBACKS_PER_TRANSACTION = 250;

export interface StatusBatchesOptions {
  /** Callbacks per transaction at most; a job is never split. Default STATUS_CALLBACKS_PER_TRANSACTION. */
  maxCallbacks?: number;
  /** Transactions running at once in this process. Default 2. */
  maxInFlight?: number;
}

interface Waiting {
  callbacks: readonly SmsStatusCallback[];
  resolve(share: JobShare): void;
  reject(error: unknown): void;
}

/**
 * Group commit for status jobs. A worker runs several status jobs at once; each would pay a
 * transaction of its own (locks, statements, a commit), the fixed cost that dominates a batch
 * of a few dozen callbacks. Here the jobs that arrive while transactions are running gather and
 * go together in the next one: idle, a job goes at once (no timer, no added latency); busy,
 * transactions grow with the load. Should a shared transaction fail, each of its jobs is applied
 * again on its own, exactly as without sharing: a bad callback is set apart within its job, and a
 * job whose every callback fails (the database is away) fails and retries.
 */
export function createStatusBatches(appliers: StatusAppliers, options: StatusBatchesOptions = {}): StatusBatches {
  const maxCallbacks = options.maxCallbacks ?? STATUS_CALLBACKS_PER_TRANSACTION;
  const maxInFlight = options.maxInFlight ?? 2;
  const gathering: Waiting[] = [];
  let inFlight = 0;
  let scheduled = false;

  function schedule(): void {
    if (scheduled || inFlight >= maxInFlight || gathering.length === 0) return;
    scheduled = true;
    // After this turn, so that jobs started in the same turn share the transaction.
    setImmediate(flush);
  }

  function takeBatch(): Waiting[] {
    const taken: Waiting[] = [];
    let size = 0;
    while (gathering.length > 0) {
      const next = gathering[0] as Waiting;
      if (taken.length > 0 && size + next.callbacks.length > maxCallbacks) break;
      taken.push(next);
      size += next.callbacks.length;
      gathering.shift();
    }
    return taken;
  }

  function flush(): void {
    scheduled = false;
    const jobs = takeBatch();
    if (jobs.length === 0) return;
    inFlight += 1;
    run(jobs)
      // Settles what an unforeseen error left pending (a settled job ignores it), so no job waits forever.
      .catch((error: unknown) => {
        for (const job of jobs) job.reject(error);
      })
      .finally(() => {
        inFlight -= 1;
        schedule();
      });
    schedule();
  }

  async function run(jobs: Waiting[]): Promise<void> {
    if (jobs.length > 1) {
      const callbacks = jobs.flatMap((job) => job.callbacks);
      const together = await appliers.applyTogether(callbacks).catch(() => undefined);
      if (together) {
        for (const job of jobs) job.resolve(shareOf(job.callbacks, { ...together, failed: [] }, callbacks.length));
        return;
      }
    }
    for (const job of jobs) {
      await appliers.applyIsolating(job.callbacks).then(
        (result) => job.resolve(shareOf(job.callbacks, result, job.callbacks.length)),
        (error: unknown) => job.reject(error),
      );
    }
  }

  return {
    apply(callbacks) {
      return new Promise<JobShare>((resolve, reject) => {
        gathering.push({ callbacks, resolve, reject });
        schedule();
      });
    },
  };
}

function shareOf(callbacks: readonly SmsStatusCallback[], result: IsolatedBatch, batch: number): JobShare {
  const own = new Set(callbacks);
  const waiting = new Set(result.waiting);
  return {
    failed: result.failed.filter(({ callback }) => own.has(callback)),
    waiting: callbacks.filter((callback) => waiting.has(callback.messageSid)).length,
    batch,
  };
}
