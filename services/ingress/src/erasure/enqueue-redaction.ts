import { prepareJob, type Queues } from '@series-killer/shared';

/**
 * Hands an erasure's pending Twilio redactions to the SMS worker (the only Twilio caller).
 * A finished job of the same erasure holds its id for its retention: a rerun of the erasure
 * runs that job again, which picks up whatever is still pending.
 */
export async function enqueueRedaction(queues: Queues, erasureId: number): Promise<string> {
  const job = prepareJob('redact-message-bodies', { erasureId });
  const queue = queues[job.queue];
  const jobId = job.opts.jobId ?? `redact.${erasureId}`;
  const existing = await queue.getJob(jobId);
  const state = existing ? await existing.getState() : undefined;
  if (existing && (state === 'failed' || state === 'completed')) await existing.retry(state);
  else await queue.add(job.name, job.data, job.opts);
  return jobId;
}
