import { randomUUID } from 'node:crypto';
import {
  type Config,
  closeQueues,
  createLogger,
  createQueues,
  createRedisConnection,
  type Db,
  type JobData,
  type Queues,
} from '@series-killer/shared';
import type { Job } from 'bullmq';
import type { OnboardingDeps } from '../onboarding-deps.ts';

let phoneSequence = 0;

/** A valid US number in the 212-555 exchange, distinct within a test file. */
export function uniquePhone(): string {
  phoneSequence += 1;
  return `+1212555${1000 + phoneSequence}`;
}

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

/** Onboarding dependencies over the test's database and queues, with a silent logger. */
export function createTestDeps(config: Config, db: Db): { deps: OnboardingDeps; close(): Promise<void> } {
  const connection = createRedisConnection(config.redis, 'worker');
  const queues = createQueues(connection, config.redis);
  const deps: OnboardingDeps = {
    db,
    queues,
    logger: createLogger('onboarding-test', 'silent'),
    settings: config.onboarding,
    confirmAuthPhone: true,
  };
  return {
    deps,
    async close() {
      await closeQueues(queues);
      await connection.quit();
    },
  };
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
  const match = /\b(\d{6})\b/.exec(body);
  if (!match?.[1]) throw new Error('no code in the text');
  return match[1];
}

/** A Twilio-shaped Message SID. */
export function messageSid(): string {
  return `SM${randomUUID().replaceAll('-', '')}`;
}
