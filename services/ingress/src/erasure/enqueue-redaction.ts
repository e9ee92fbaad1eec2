import { addOrRerunJob, jobIdFor, type Queues } from '@series-killer/shared';

/**
 * Hands an erasure's pending Twilio redactions to the SMS worker (the only Twilio caller).
 * A finished job of the same erasure holds its id for its retention: a rerun of the erasure
 * runs that job again, which picks up whatever is still pending.
 */
export async function enqueueRedaction(queues: Queues, erasureId: number): Promise<string> {
  await addOrRerunJob(queues, 'redact-message-bodies', { erasureId }, ['failed', 'completed']);
  return jobIdFor['redact-message-bodies']({ erasureId }) as string;
}
