import { randomUUID } from 'node:crypto';
import { startTestStack, type TestStack } from '@series-killer/sandbox/testing';
import { createLogger, type Db, type JobData, type Queues, VERIFICATION_CODE_IN_TEXT } from '@series-killer/shared';
import type { Job } from 'bullmq';
import type { OnboardingDeps } from '../onboarding-deps.ts';

/** Inserts an auth user and a pending profile directly, as a Supabase client or admin would. */
export async function insertUser(
  db: Db,
  user: { firstName?: string; authPhone?: string | null; linkedPhone?: string; createdAgoMs?: number } = {},
): Promise<string> {
  const userId = randomUUID();
  await db
    .insertInto('auth.users')
    .values({ id: userId, phone: user.authPhone ?? null })
    .execute();
  await db
    .insertInto('user_profiles')
    .values({
      user_id: userId,
      first_name: user.firstName ?? 'Ada',
      last_name: 'Lovelace',
      ...(user.createdAgoMs ? { created_at: new Date(Date.now() - user.createdAgoMs) } : {}),
    })
    .execute();
  if (user.linkedPhone) {
    await db.insertInto('phone_links').values({ user_id: userId, phone_number: user.linkedPhone }).execute();
  }
  return userId;
}

/** What the SMS worker records once Twilio accepted the welcome: the row `sent`, the profile `sms_sent`. */
export async function markWelcomeSent(db: Db, userId: string): Promise<void> {
  await db
    .updateTable('onboarding_messages')
    .set({ status: 'sent', sent_at: new Date() })
    .where('user_id', '=', userId)
    .where('message_type', '=', 'welcome')
    .execute();
  await db
    .updateTable('user_profiles')
    .set({ onboarding_status: 'sms_sent', onboarding_sent_at: new Date() })
    .where('user_id', '=', userId)
    .execute();
}

/** A test stack (no sandbox, no services), its database, and onboarding's dependencies over it with a silent logger. */
export async function startOnboardingTestStack(
  env: Record<string, string> = {},
): Promise<{ stack: TestStack; db: Db; deps: OnboardingDeps }> {
  const stack = await startTestStack({ env });
  const deps: OnboardingDeps = {
    db: stack.testDb.db,
    queues: stack.queues,
    logger: createLogger('onboarding-test', 'silent'),
    settings: stack.config.onboarding,
    confirmAuthPhone: true,
  };
  return { stack, db: stack.testDb.db, deps };
}

type SendSmsJob = Job<JobData<'send-sms'>>;

const rowOrder = (job: SendSmsJob) => job.data.onboardingMessageId ?? Number.MAX_SAFE_INTEGER;

/** The send-sms jobs waiting on sms-outbound (no SMS worker runs in these tests), oldest first, messages in row order. */
export async function smsJobs(queues: Queues, to?: string): Promise<SendSmsJob[]> {
  const jobs = (await queues['sms-outbound'].getJobs(['waiting', 'delayed', 'prioritized'])) as SendSmsJob[];
  return jobs
    .filter((job) => to === undefined || job.data.to === to)
    .sort((a, b) => a.timestamp - b.timestamp || rowOrder(a) - rowOrder(b));
}

/** The 6-digit code in a text. */
export function codeIn(body: string): string {
  const match = VERIFICATION_CODE_IN_TEXT.exec(body);
  if (!match?.[1]) throw new Error('no code in the text');
  return match[1];
}
