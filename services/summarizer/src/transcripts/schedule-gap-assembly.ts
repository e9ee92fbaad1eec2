import { addJob, type JobData, type Queues } from '@series-killer/shared';
import type { AssembleOutcome } from './assemble-transcript.ts';

/**
 * Once the transcription has stopped or the call has completed, a transcript still missing
 * pieces gets `graceMs` for them to arrive; then an `assemble-transcript` job assembles it
 * with the gaps marked. A delayed job rather than a timer, so it survives restarts; its id
 * (call and trigger) makes each trigger schedule it once.
 */
export async function scheduleGapAssembly(
  queues: Queues,
  outcome: AssembleOutcome,
  job: JobData<'assemble-transcript'>,
  graceMs: number,
): Promise<'gap-assembly-scheduled' | undefined> {
  if (outcome !== 'incomplete') return undefined;
  await addJob(queues, 'assemble-transcript', job, { delay: graceMs });
  return 'gap-assembly-scheduled';
}
