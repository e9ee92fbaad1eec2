import type { DefaultJobOptions } from 'bullmq';
import type { QueueName } from './job-catalogue.ts';

const DAY_SECONDS = 24 * 60 * 60;

/**
 * Postgres deduplicates for good (a unique key on every Twilio event and send key), so a
 * finished job is kept only for the dashboard: at most 1,000 per queue, for 10 minutes.
 * Failed jobs wait for someone to look at them or retry them, bounded too. Redis therefore
 * holds the work in flight, not a day of traffic.
 */
const retention: Pick<DefaultJobOptions, 'removeOnComplete' | 'removeOnFail' | 'stackTraceLimit'> = {
  removeOnComplete: { age: 10 * 60, count: 1_000 },
  removeOnFail: { age: 7 * DAY_SECONDS, count: 10_000 },
  // One stack per failed job is enough to diagnose it; BullMQ keeps one per attempt by default.
  stackTraceLimit: 1,
};

/** Exponential backoff with full jitter (BullMQ's `jitter` option), so retries spread out. */
const backoff = (delayMs: number): DefaultJobOptions['backoff'] => ({ type: 'exponential', delay: delayMs, jitter: 1 });

/** Default options of each queue's jobs. */
export const defaultJobOptions: Record<QueueName, DefaultJobOptions> = {
  onboarding: { ...retention, attempts: 8, backoff: backoff(1_000) },
  'sms-outbound': { ...retention, attempts: 10, backoff: backoff(2_000) },
  'sms-inbound': { ...retention, attempts: 10, backoff: backoff(1_000) },
  // A callback whose send is not recorded yet does not retry: it waits in Postgres. Retries
  // cover the database being away.
  'sms-status': { ...retention, attempts: 10, backoff: backoff(500) },
  calls: { ...retention, attempts: 10, backoff: backoff(500) },
  summaries: { ...retention, attempts: 8, backoff: backoff(5_000) },
  // A call waiting for its hours or for a live claim waits as a delayed job, not on its attempts.
  'outbound-calls': { ...retention, attempts: 8, backoff: backoff(2_000) },
  // Apart from the placing, whose rate limit holds for every job of its queue.
  'outbound-call-outcomes': { ...retention, attempts: 10, backoff: backoff(500) },
};

/** How a job waits out a dependency that cannot be reached (see isDependencyUnavailable). */
export interface OutageRetryPolicy {
  /** Delay before the first outage retry, in ms; it doubles with each retry. */
  firstDelayMs: number;
  /** Longest delay between two outage retries, in ms. */
  maxDelayMs: number;
  /** Outage retries a job gets before its next outage failure spends an attempt as any error does. */
  maxRetries: number;
}

/**
 * A job whose dependency is away (Postgres restarting or failing over, Redis, Twilio or OpenAI
 * unreachable) waits for it instead of spending its attempts, which bound errors of the job
 * itself: it is retried after 1 s, 2 s, 4 s… at most 30 s apart (each delay jittered between
 * half and all of it), 1,440 times, that is for 6 to 12 hours of outage.
 */
export const OUTAGE_RETRY: OutageRetryPolicy = { firstDelayMs: 1_000, maxDelayMs: 30_000, maxRetries: 1_440 };

/** The delay before outage retry number `retry` (0 for the first), jittered so waiting jobs spread out. */
export function outageRetryDelayMs(policy: OutageRetryPolicy, retry: number, random = Math.random()): number {
  const delay = Math.min(policy.maxDelayMs, policy.firstDelayMs * 2 ** Math.min(retry, 30));
  return Math.round(delay / 2 + (random * delay) / 2);
}
