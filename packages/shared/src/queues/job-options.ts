import type { DefaultJobOptions } from 'bullmq';
import type { QueueName } from './job-catalogue.ts';

const DAY_SECONDS = 24 * 60 * 60;

/**
 * Completed jobs are kept 25 hours so that the same event posted again within a day (a Twilio
 * retry, a duplicated callback, a replayed webhook) is deduplicated by job id; the database
 * constraints are the second line. Failed jobs are kept a week for inspection in the dashboard.
 */
const retention: Pick<DefaultJobOptions, 'removeOnComplete' | 'removeOnFail'> = {
  removeOnComplete: { age: 25 * 60 * 60 },
  removeOnFail: { age: 7 * DAY_SECONDS },
};

/** Exponential backoff with full jitter (BullMQ's `jitter` option), so retries spread out. */
const backoff = (delayMs: number): DefaultJobOptions['backoff'] => ({ type: 'exponential', delay: delayMs, jitter: 1 });

/** Default options of each queue's jobs. */
export const defaultJobOptions: Record<QueueName, DefaultJobOptions> = {
  onboarding: { ...retention, attempts: 8, backoff: backoff(1_000) },
  'sms-outbound': { ...retention, attempts: 10, backoff: backoff(2_000) },
  'sms-inbound': { ...retention, attempts: 10, backoff: backoff(1_000) },
  // A status callback can outrun the send that created its row: retry for about ten
  // minutes before it is kept as an orphan event.
  'sms-status': { ...retention, attempts: 12, backoff: backoff(500) },
  calls: { ...retention, attempts: 10, backoff: backoff(500) },
  summaries: { ...retention, attempts: 8, backoff: backoff(5_000) },
};
