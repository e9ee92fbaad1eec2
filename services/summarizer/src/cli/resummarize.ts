import { setTimeout as sleep } from 'node:timers/promises';
import { addJob, type Db, jobIdFor, type Queues } from '@series-killer/shared';
import { findCallsAwaitingSummary } from '../summary-trigger/calls-awaiting-summary.repository.ts';

/** Which calls to summarise again: one call, or every completed call with a transcript and no summary. */
export type ResummarizeSelection = { callSid: string } | { missing: true };

export interface SummaryProgress {
  total: number;
  done: number;
  failed: number;
  pending: number;
}

export async function selectCalls(db: Db, selection: ResummarizeSelection): Promise<string[]> {
  return 'callSid' in selection ? [selection.callSid] : findCallsAwaitingSummary(db);
}

/**
 * Queues a summary job per call. A finished job under the same id (completed or failed) is
 * removed first so the call runs again; a job still waiting or running is left alone. The
 * job itself never sends a transcript that was summarised already.
 */
export async function queueSummaries(
  queues: Queues,
  callSids: string[],
  onQueued: (queued: number, total: number) => void = () => {},
): Promise<string[]> {
  const jobIds: string[] = [];
  for (const callSid of callSids) {
    const jobId = jobIdFor['summarize-call']({ callSid }) as string;
    const state = await queues.summaries.getJobState(jobId);
    if (state === 'completed' || state === 'failed') await queues.summaries.remove(jobId);
    await addJob(queues, 'summarize-call', { callSid });
    jobIds.push(jobId);
    onQueued(jobIds.length, callSids.length);
  }
  return jobIds;
}

async function progressOf(queues: Queues, jobIds: string[]): Promise<SummaryProgress> {
  const states = await Promise.all(jobIds.map((id) => queues.summaries.getJobState(id)));
  const done = states.filter((state) => state === 'completed').length;
  const failed = states.filter((state) => state === 'failed').length;
  return { total: jobIds.length, done, failed, pending: jobIds.length - done - failed };
}

/**
 * Polls the jobs until none is pending or `timeoutMs` has passed, reporting each change.
 * Resolves with the last progress; `pending > 0` means the deadline passed.
 */
export async function waitForSummaries(
  queues: Queues,
  jobIds: string[],
  options: { timeoutMs: number; pollMs?: number; onProgress?: (progress: SummaryProgress) => void },
): Promise<SummaryProgress> {
  const deadline = Date.now() + options.timeoutMs;
  let last = '';
  for (;;) {
    const progress = await progressOf(queues, jobIds);
    const shown = JSON.stringify(progress);
    if (shown !== last) options.onProgress?.(progress);
    last = shown;
    if (progress.pending === 0 || Date.now() >= deadline) return progress;
    await sleep(options.pollMs ?? 500);
  }
}
