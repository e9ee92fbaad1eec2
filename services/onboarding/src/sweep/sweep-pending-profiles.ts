import { addOrRerunJob, type Db, type Queues } from '@series-killer/shared';
import { sql } from 'kysely';
import { findGaveUpMessages } from '../messages/onboarding-messages.repository.ts';
import { sendOnboardingMessages } from '../messages/send-onboarding-messages.ts';
import type { OnboardingDeps } from '../onboarding-deps.ts';

export interface SweepOptions {
  /** Profiles younger than this are left to their own trigger. Milliseconds; default 60 000. */
  graceMs?: number;
  /** Profiles picked up per run at most. Default 500. */
  batchSize?: number;
}

/** Sweep job scheduler id: one schedule for the queue, however many workers upsert it. */
export const SWEEP_SCHEDULER_ID = 'onboarding-sweep';

/** Registers the periodic sweep (BullMQ job scheduler). */
export async function scheduleSweep(queues: Queues, everyMs: number): Promise<void> {
  await queues.onboarding.upsertJobScheduler(
    SWEEP_SCHEDULER_ID,
    { every: everyMs },
    { name: 'sweep-pending-profiles', data: {} },
  );
}

/**
 * Starts `pending` profiles that no trigger got going (after the grace period, no onboarding
 * message has left `pending`), so a missed webhook, a start job that committed its rows but
 * never handed them over, or sends that gave up while Twilio was down, delay an onboarding but
 * never lose it. The start job's rerun hands over the pending rows again under their send keys.
 */
export async function sweepPendingProfiles(
  deps: Pick<OnboardingDeps, 'db' | 'queues' | 'logger' | 'settings'>,
  { graceMs = 60_000, batchSize = 500 }: SweepOptions = {},
): Promise<{ outcome: 'swept'; started: number }> {
  const userIds = await findStalledProfiles(deps.db, graceMs, batchSize);
  for (const userId of userIds) await enqueueStart(deps.queues, userId);
  if (userIds.length > 0) deps.logger.info({ started: userIds.length }, 'sweep started pending onboardings');
  // A profile whose welcome went out is no longer stalled, yet its code's send may have given
  // up: such messages are handed over again on their own (a failed send job runs again).
  const gaveUp = await findGaveUpMessages(deps.db, batchSize);
  await sendOnboardingMessages(deps.queues, deps.settings.verificationCodeSecret, gaveUp);
  if (gaveUp.length > 0) deps.logger.info({ resent: gaveUp.length }, 'sweep handed over sends that gave up');
  return { outcome: 'swept', started: userIds.length };
}

async function findStalledProfiles(db: Db, graceMs: number, batchSize: number): Promise<string[]> {
  const rows = await db
    .selectFrom('user_profiles')
    .select('user_id')
    .where('onboarding_status', '=', 'pending')
    .where('created_at', '<', sql<Date>`now() - make_interval(secs => ${graceMs / 1000})`)
    .where(({ not, exists, selectFrom }) =>
      not(
        exists(
          selectFrom('onboarding_messages')
            .select('onboarding_messages.id')
            .whereRef('onboarding_messages.user_id', '=', 'user_profiles.user_id')
            .where((eb) => eb(eb.fn.coalesce('onboarding_messages.status', eb.val('pending')), '<>', 'pending')),
        ),
      ),
    )
    .orderBy('created_at')
    .limit(batchSize)
    .execute();
  return rows.map((row) => row.user_id);
}

/**
 * Adds the start job under its usual id, so it merges with one a trigger already added. A
 * finished start job would hold that id for its retention while its profile is still
 * unstarted (it failed for good, or ran before the profile existed): run it again instead.
 */
async function enqueueStart(queues: Queues, userId: string): Promise<void> {
  await addOrRerunJob(queues, 'start-onboarding', { userId, trigger: 'sweep' }, ['failed', 'completed']);
}
