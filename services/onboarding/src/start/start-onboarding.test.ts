import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { authUsersFor, eraseUser } from '@series-killer/ingress/erasure';
import type { TestStack } from '@series-killer/sandbox/testing';
import { type Db, sendKeyFor, sendSmsJobId, VERIFICATION_CODE_MASK } from '@series-killer/shared';
import { uniqueTestPhone, waitFor } from '@series-killer/shared/testing';
import { sql } from 'kysely';
import type { OnboardingDeps } from '../onboarding-deps.ts';
import { codeIn, insertUser, smsJobs, startOnboardingTestStack } from '../testing/onboarding-fixtures.ts';
import { hashVerificationCode } from '../verification/verification-code.ts';
import { startOnboarding } from './start-onboarding.ts';

let stack: TestStack;
let db: Db;
let deps: OnboardingDeps;

beforeAll(async () => {
  ({ stack, db, deps } = await startOnboardingTestStack({ ONBOARDING_REMINDER_DELAY: '1h' }));
});

afterAll(async () => {
  await stack.close();
});

async function messagesOf(userId: string) {
  return db
    .selectFrom('onboarding_messages')
    .select(['id', 'message_type', 'status', 'content', 'phone_number'])
    .where('user_id', '=', userId)
    .orderBy('id')
    .execute();
}

async function profileOf(userId: string) {
  return db
    .selectFrom('user_profiles')
    .select(['onboarding_status'])
    .where('user_id', '=', userId)
    .executeTakeFirstOrThrow();
}

describe('startOnboarding', () => {
  it('creates the welcome and verification messages and hands both to sms-outbound', async () => {
    const phone = uniqueTestPhone();
    const userId = await insertUser(db, { firstName: 'Grace', linkedPhone: phone });

    await expect(startOnboarding(deps, { userId, trigger: 'api' })).resolves.toEqual({ outcome: 'started' });

    const [welcome, verification] = await messagesOf(userId);
    expect(welcome).toMatchObject({ message_type: 'welcome', status: 'pending', phone_number: phone });
    expect(welcome?.content).toContain('Grace');
    expect(verification).toMatchObject({ message_type: 'verification', status: 'pending' });
    expect(verification?.content).toContain(VERIFICATION_CODE_MASK);

    const jobs = await smsJobs(deps.queues, phone);
    expect(jobs.map((job) => job.id)).toEqual([
      sendSmsJobId(sendKeyFor.onboardingMessage(welcome?.id ?? 0)),
      sendSmsJobId(sendKeyFor.onboardingMessage(verification?.id ?? 0)),
    ]);
    expect(jobs[0]?.data).toMatchObject({ body: welcome?.content, userId, onboardingMessageId: welcome?.id });
    expect(jobs[0]?.data.storedBody).toBeUndefined();
    const sentVerification = jobs[1]?.data;
    expect(sentVerification?.storedBody).toBe(verification?.content);
    const code = codeIn(sentVerification?.body ?? '');

    const link = await db
      .selectFrom('phone_links')
      .select(['verification_code', 'verification_attempts'])
      .where('phone_number', '=', phone)
      .executeTakeFirstOrThrow();
    expect(link.verification_code).toBe(
      hashVerificationCode(stack.config.onboarding.verificationCodeSecret, userId, code),
    );
    expect(link.verification_attempts).toBe(0);

    const reminder = await deps.queues.onboarding.getJob(`reminder.${userId}.1`);
    expect(reminder?.data).toEqual({ userId, reminderNumber: 1 });
    expect(reminder?.opts.delay).toBe(60 * 60 * 1000);
    expect(await profileOf(userId)).toEqual({ onboarding_status: 'pending' });
  });

  it('sends one welcome however many triggers arrive', async () => {
    const phone = uniqueTestPhone();
    const userId = await insertUser(db, { linkedPhone: phone });

    const results = await Promise.all([
      startOnboarding(deps, { userId, trigger: 'api' }),
      startOnboarding(deps, { userId, trigger: 'db-webhook' }),
      startOnboarding(deps, { userId, trigger: 'sweep' }),
    ]);

    expect(results.filter((result) => result.outcome === 'started')).toHaveLength(1);
    expect((await messagesOf(userId)).map((message) => message.message_type)).toEqual(['welcome', 'verification']);
    expect(await smsJobs(deps.queues, phone)).toHaveLength(2);
  });

  it('hands over the same texts again when the first run died between commit and enqueue', async () => {
    const phone = uniqueTestPhone();
    const userId = await insertUser(db, { linkedPhone: phone });
    await startOnboarding(deps, { userId, trigger: 'api' });
    const firstBodies = (await smsJobs(deps.queues, phone)).map((job) => job.data.body);
    for (const job of await smsJobs(deps.queues, phone)) await job.remove();

    await expect(startOnboarding(deps, { userId, trigger: 'api' })).resolves.toEqual({
      outcome: 'resumed',
      handedOver: 2,
    });

    expect((await smsJobs(deps.queues, phone)).map((job) => job.data.body)).toEqual(firstBodies);
    expect(await messagesOf(userId)).toHaveLength(2);
  });

  it('links the auth user phone, normalised to E.164, when there is no phone link', async () => {
    const userId = await insertUser(db, { authPhone: '12125550147' });

    await expect(startOnboarding(deps, { userId, trigger: 'db-webhook' })).resolves.toEqual({ outcome: 'started' });

    const link = await db
      .selectFrom('phone_links')
      .select(['user_id', 'verified'])
      .where('phone_number', '=', '+12125550147')
      .executeTakeFirstOrThrow();
    expect(link).toEqual({ user_id: userId, verified: false });
    expect(await smsJobs(deps.queues, '+12125550147')).toHaveLength(2);
  });

  it('fails a profile whose auth phone belongs to another user', async () => {
    const phone = uniqueTestPhone();
    await insertUser(db, { linkedPhone: phone });
    const userId = await insertUser(db, { authPhone: phone.slice(1) });

    await expect(startOnboarding(deps, { userId, trigger: 'sweep' })).resolves.toEqual({
      outcome: 'failed',
      reason: 'the phone number is linked to another user',
    });
    expect(await profileOf(userId)).toEqual({ onboarding_status: 'failed' });
    expect(await messagesOf(userId)).toEqual([]);
  });

  it('fails a profile without a usable phone', async () => {
    const withoutPhone = await insertUser(db);
    const withBadPhone = await insertUser(db, { authPhone: '12' });

    await expect(startOnboarding(deps, { userId: withoutPhone, trigger: 'api' })).resolves.toMatchObject({
      outcome: 'failed',
    });
    await expect(startOnboarding(deps, { userId: withBadPhone, trigger: 'api' })).resolves.toEqual({
      outcome: 'failed',
      reason: 'the auth user phone is not a valid phone number',
    });
    expect(await profileOf(withoutPhone)).toEqual({ onboarding_status: 'failed' });
    expect(await profileOf(withBadPhone)).toEqual({ onboarding_status: 'failed' });
  });

  it('skips profiles that are finished or missing', async () => {
    const userId = await insertUser(db, { linkedPhone: uniqueTestPhone() });
    await db
      .updateTable('user_profiles')
      .set({ onboarding_status: 'completed' })
      .where('user_id', '=', userId)
      .execute();

    await expect(startOnboarding(deps, { userId, trigger: 'api' })).resolves.toEqual({
      outcome: 'skipped',
      reason: 'onboarding completed',
    });
    await expect(
      startOnboarding(deps, { userId: '00000000-0000-4000-8000-000000000000', trigger: 'api' }),
    ).resolves.toEqual({ outcome: 'skipped', reason: 'no profile' });
    expect(await messagesOf(userId)).toEqual([]);
  });

  it('runs wholly before an erasure that comes while it holds the profile: nothing is left and nothing sent', async () => {
    const phone = uniqueTestPhone();
    const userId = await insertUser(db, { linkedPhone: phone });
    // Holds the phone link, so the start stops mid-way: profile locked, welcome inserted, code not yet set.
    let release = () => {};
    const released = new Promise<void>((resolve) => {
      release = resolve;
    });
    const barrier = db.transaction().execute(async (trx) => {
      await trx.selectFrom('phone_links').select('id').where('user_id', '=', userId).forShare().execute();
      await released;
    });
    const waitingOnLocks = async (n: number) =>
      (
        await sql<{ n: number }>`select count(*)::int as n from pg_stat_activity
        where datname = current_database() and wait_event_type = 'Lock'`.execute(db)
      ).rows[0]?.n === n;

    const start = startOnboarding(deps, { userId, trigger: 'api' });
    await waitFor('the start to wait on the phone link', () => waitingOnLocks(1));
    const erasure = eraseUser({ ...deps, authUsers: await authUsersFor(stack.config, db) }, { userId });
    await waitFor('the erasure to wait too', () => waitingOnLocks(2));
    release();
    await barrier;

    await expect(start).resolves.toEqual({ outcome: 'started' });
    await expect(erasure).resolves.toMatchObject({ authUser: 'deleted' });
    expect(await messagesOf(userId)).toEqual([]);
    expect(await db.selectFrom('user_profiles').select('user_id').where('user_id', '=', userId).execute()).toEqual([]);
    expect(await smsJobs(deps.queues, phone)).toEqual([]);
    await expect(startOnboarding(deps, { userId, trigger: 'sweep' })).resolves.toEqual({
      outcome: 'skipped',
      reason: 'no profile',
    });
  });
});
