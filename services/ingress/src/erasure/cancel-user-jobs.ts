import type { Queues } from '@series-killer/shared';
import type { ErasureSubject } from './erasure-subject.ts';

/**
 * Jobs not yet run (or failed, which a retry would run again): an erased user's reminder, send,
 * or webhook still in the queue must never act. Completed jobs are left to expire (at most 10
 * minutes): while they exist their ids collapse a duplicate webhook in flight.
 */
const CANCELLABLE_STATES = ['waiting', 'delayed', 'prioritized', 'waiting-children', 'failed'] as const;

/** Jobs read from Redis per page. */
const PAGE_SIZE = 500;

/** Whether a job's payload names the user: their id, one of their numbers, messages or calls. */
export function jobBelongsTo(data: unknown, subject: ErasureSubject): boolean {
  if (typeof data !== 'object' || data === null) return false;
  const fields = data as Record<string, unknown>;
  const is = (key: string, values: readonly string[]) =>
    typeof fields[key] === 'string' && values.includes(fields[key] as string);
  return (
    fields.userId === subject.userId ||
    is('to', subject.phoneNumbers) ||
    is('from', subject.phoneNumbers) ||
    is('phoneNumber', subject.phoneNumbers) ||
    is('messageSid', subject.messageSids) ||
    is('callSid', subject.callSids)
  );
}

/**
 * Removes every not-yet-run job of the user from every queue; returns how many. A job already
 * running cannot be removed: it finds the user's rows gone and skips (a reminder) or fails for
 * good (a send whose onboarding message no longer exists).
 */
export async function cancelUserJobs(queues: Queues, subject: ErasureSubject): Promise<number> {
  let cancelled = 0;
  for (const queue of Object.values(queues)) {
    const doomed: string[] = [];
    for (let start = 0; ; start += PAGE_SIZE) {
      const jobs = await queue.getJobs([...CANCELLABLE_STATES], start, start + PAGE_SIZE - 1, true);
      for (const job of jobs) if (job?.id && jobBelongsTo(job.data, subject)) doomed.push(job.id);
      if (jobs.length < PAGE_SIZE) break;
    }
    for (const id of doomed) cancelled += await queue.remove(id);
  }
  return cancelled;
}
