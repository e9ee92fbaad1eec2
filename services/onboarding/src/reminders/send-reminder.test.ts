import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { authUsersFor, eraseUser } from '@series-killer/ingress/erasure';
import type { TestStack } from '@series-killer/sandbox/testing';
import { type Db, sendKeyFor, sendSmsJobId, VERIFICATION_CODE_MASK } from '@series-killer/shared';
import { uniqueTestPhone } from '@series-killer/shared/testing';
import { welcomeText } from '../messages/onboarding-texts.ts';
import type { OnboardingDeps } from '../onboarding-deps.ts';
import { startOnboarding } from '../start/start-onboarding.ts';
import {
  codeIn,
  insertUser,
  markWelcomeSent,
  smsJobs,
  startOnboardingTestStack,
} from '../testing/onboarding-fixtures.ts';
import { hashVerificationCode } from '../verification/verification-code.ts';
import { sendReminder } from './send-reminder.ts';

let stack: TestStack;
let db: Db;
let deps: OnboardingDeps;

beforeAll(async () => {
  ({ stack, db, deps } = await startOnboardingTestStack({
    ONBOARDING_REMINDER_DELAY: '2h',
    ONBOARDING_MAX_REMINDERS: '2',
  }));
});

afterAll(async () => {
  await stack.close();
});

async function startedUser(): Promise<{ userId: string; phone: string }> {
  const phone = uniqueTestPhone();
  const userId = await insertUser(db, { linkedPhone: phone });
  await startOnboarding(deps, { userId, trigger: 'api' });
  await markWelcomeSent(db, userId);
  return { userId, phone };
}

async function remindersOf(userId: string) {
  return db
    .selectFrom('onboarding_messages')
    .select(['id', 'status', 'content'])
    .where('user_id', '=', userId)
    .where('message_type', '=', 'reminder')
    .execute();
}

describe('sendReminder', () => {
  it('sends a new code, resets the attempts and schedules the next reminder', async () => {
    const { userId, phone } = await startedUser();
    await db.updateTable('phone_links').set({ verification_attempts: 4 }).where('phone_number', '=', phone).execute();

    await expect(sendReminder(deps, { userId, reminderNumber: 1 })).resolves.toEqual({ outcome: 'sent' });

    const [reminder] = await remindersOf(userId);
    expect(reminder).toMatchObject({ status: 'pending' });
    expect(reminder?.content).toContain(VERIFICATION_CODE_MASK);
    const job = await deps.queues['sms-outbound'].getJob(sendSmsJobId(sendKeyFor.onboardingMessage(reminder?.id ?? 0)));
    expect(job?.data).toMatchObject({ to: phone, userId, storedBody: reminder?.content });
    const code = codeIn(job?.data.body ?? '');
    const link = await db
      .selectFrom('phone_links')
      .select(['verification_code', 'verification_attempts'])
      .where('phone_number', '=', phone)
      .executeTakeFirstOrThrow();
    expect(link).toEqual({
      verification_code: hashVerificationCode(stack.config.onboarding.verificationCodeSecret, userId, code),
      verification_attempts: 0,
    });
    const next = await deps.queues.onboarding.getJob(`reminder.${userId}.2`);
    expect(next?.data).toEqual({ userId, reminderNumber: 2 });
    expect(next?.opts.delay).toBe(2 * 60 * 60 * 1000);
  });

  it('resends the welcome and first code instead of a bare code while the welcome was never sent', async () => {
    const phone = uniqueTestPhone();
    const userId = await insertUser(db, { linkedPhone: phone });
    await startOnboarding(deps, { userId, trigger: 'api' });
    // The sends gave up while Twilio was down: both rows still pending, and their jobs gone.
    for (const job of await smsJobs(deps.queues, phone)) await job.remove();

    await expect(sendReminder(deps, { userId, reminderNumber: 1 })).resolves.toEqual({
      outcome: 'resumed',
      handedOver: 2,
    });
    expect(await remindersOf(userId)).toEqual([]);
    const resent = await smsJobs(deps.queues, phone);
    expect(resent.map((job) => job.data.body)).toEqual(expect.arrayContaining([welcomeText('Ada')]));
    expect(resent).toHaveLength(2);
    expect(await deps.queues.onboarding.getJob(`reminder.${userId}.2`)).toBeDefined();
  });

  it('hands over the same reminder when run again, and stops at the maximum', async () => {
    const { userId, phone } = await startedUser();
    await sendReminder(deps, { userId, reminderNumber: 1 });
    const [sentOnce] = await smsJobs(deps.queues, phone).then((jobs) => jobs.slice(-1));
    await sentOnce?.remove();

    await expect(sendReminder(deps, { userId, reminderNumber: 1 })).resolves.toEqual({
      outcome: 'resumed',
      handedOver: 1,
    });
    const [sentAgain] = await smsJobs(deps.queues, phone).then((jobs) => jobs.slice(-1));
    expect(sentAgain?.data.body).toBe(sentOnce?.data.body);

    await expect(sendReminder(deps, { userId, reminderNumber: 2 })).resolves.toEqual({ outcome: 'sent' });
    await expect(sendReminder(deps, { userId, reminderNumber: 3 })).resolves.toEqual({
      outcome: 'skipped',
      reason: 'past the maximum reminders',
    });
    expect(await remindersOf(userId)).toHaveLength(2);
    expect(await deps.queues.onboarding.getJob(`reminder.${userId}.3`)).toBeUndefined();
  });

  it('sends nothing once onboarding is completed or failed', async () => {
    for (const status of ['completed', 'failed']) {
      const { userId } = await startedUser();
      await db.updateTable('user_profiles').set({ onboarding_status: status }).where('user_id', '=', userId).execute();

      await expect(sendReminder(deps, { userId, reminderNumber: 1 })).resolves.toEqual({
        outcome: 'skipped',
        reason: `onboarding ${status}`,
      });
      expect(await remindersOf(userId)).toEqual([]);
    }
  });

  it('never sends the pending reminder of a user erased meanwhile, even one a worker had already taken', async () => {
    const { userId, phone } = await startedUser();
    await sendReminder(deps, { userId, reminderNumber: 1 });
    expect(await deps.queues.onboarding.getJob(`reminder.${userId}.2`)).toBeDefined();

    await eraseUser({ ...deps, authUsers: await authUsersFor(stack.config, db) }, { userId });

    expect(await deps.queues.onboarding.getJob(`reminder.${userId}.2`)).toBeUndefined();
    expect(await smsJobs(deps.queues, phone)).toEqual([]);
    // The run of a reminder job that was already active when the erasure removed the queued ones:
    await expect(sendReminder(deps, { userId, reminderNumber: 2 })).resolves.toEqual({
      outcome: 'skipped',
      reason: 'no profile',
    });
    expect(await smsJobs(deps.queues, phone)).toEqual([]);
    expect(await remindersOf(userId)).toEqual([]);
  });
});
