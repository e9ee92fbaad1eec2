import { addJob, type Db, type Queues } from '@series-killer/shared';
import { findCallsAwaitingSummary } from './calls-awaiting-summary.repository.ts';

/**
 * Queues the call's summary once it is completed and has a transcript. Both the status path
 * and the transcript path call this after committing, so whichever arrives last finds the
 * call ready; the job id `summary.<callSid>` collapses the case where both do.
 */
export async function enqueueSummaryWhenReady(
  db: Db,
  queues: Queues,
  callSid: string,
): Promise<'summary-queued' | 'not-ready'> {
  const [ready] = await findCallsAwaitingSummary(db, { callSid });
  if (!ready) return 'not-ready';
  await addJob(queues, 'summarize-call', { callSid });
  return 'summary-queued';
}
