import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { TestStack } from '@series-killer/sandbox/testing';
import { type Db, sendKeyFor, sendSmsJobId } from '@series-killer/shared';
import { fakeSid, uniqueTestPhone } from '@series-killer/shared/testing';
import { codeVoidText, confirmationText, wrongCodeText } from '../messages/onboarding-texts.ts';
import type { OnboardingDeps } from '../onboarding-deps.ts';
import { sendReminder } from '../reminders/send-reminder.ts';
import { startOnboarding } from '../start/start-onboarding.ts';
import {
  codeIn,
  insertUser,
  markWelcomeSent,
  smsJobs,
  startOnboardingTestStack,
} from '../testing/onboarding-fixtures.ts';
import { verifyCode } from './verify-code.ts';

const MAX_ATTEMPTS = 3;

let stack: TestStack;
let db: Db;
let deps: OnboardingDeps;

beforeAll(async () => {
  ({ stack, db, deps } = await startOnboardingTestStack({ VERIFICATION_MAX_ATTEMPTS: String(MAX_ATTEMPTS) }));
});

afterAll(async () => {
  await stack.close();
});

/** A started onboarding and the code its verification text carries. */
async function startedUser(): Promise<{ userId: string; phone: string; code: string }> {
  const phone = uniqueTestPhone();
  const userId = await insertUser(db, { linkedPhone: phone });
  await startOnboarding(deps, { userId, trigger: 'api' });
  await markWelcomeSent(db, userId);
  const verification = (await smsJobs(deps.queues, phone)).find((job) => job.data.storedBody !== undefined);
  return { userId, phone, code: codeIn(verification?.data.body ?? '') };
}

function otherCode(code: string): string {
  return String((Number(code) + 1) % 1_000_000).padStart(6, '0');
}

async function linkOf(phone: string) {
  return db
    .selectFrom('phone_links')
    .select(['verified', 'verification_code', 'verification_attempts', 'last_verification_attempt'])
    .where('phone_number', '=', phone)
    .executeTakeFirstOrThrow();
}

async function repliesTo(phone: string): Promise<string[]> {
  const jobs = await smsJobs(deps.queues, phone);
  return jobs.filter((job) => job.data.onboardingMessageId === undefined).map((job) => job.data.body);
}

describe('verifyCode', () => {
  it('completes onboarding on the right code, in every table, and confirms once', async () => {
    const { userId, phone, code } = await startedUser();

    await expect(verifyCode(deps, { phoneNumber: phone, code, messageSid: fakeSid('SM') })).resolves.toEqual({
      outcome: 'verified',
    });

    expect(await linkOf(phone)).toMatchObject({ verified: true, verification_code: null });
    const profile = await db
      .selectFrom('user_profiles')
      .select(['onboarding_status', 'phone_verified', 'onboarding_completed_at'])
      .where('user_id', '=', userId)
      .executeTakeFirstOrThrow();
    expect(profile).toMatchObject({ onboarding_status: 'completed', phone_verified: true });
    expect(profile.onboarding_completed_at).toBeInstanceOf(Date);
    const authUser = await db
      .selectFrom('auth.users')
      .select('phone_confirmed_at')
      .where('id', '=', userId)
      .executeTakeFirstOrThrow();
    expect(authUser.phone_confirmed_at).toBeInstanceOf(Date);

    await expect(verifyCode(deps, { phoneNumber: phone, code, messageSid: fakeSid('SM') })).resolves.toEqual({
      outcome: 'skipped',
      reason: 'phone already verified',
    });
    const confirmation = await deps.queues['sms-outbound'].getJob(sendSmsJobId(sendKeyFor.confirmation(userId)));
    expect(confirmation?.data).toMatchObject({ to: phone, userId, body: confirmationText() });
    expect(await repliesTo(phone)).toEqual([confirmationText()]);
  });

  it('confirms on a retry that finds the phone verified, when the first run crashed before enqueuing', async () => {
    const { userId, phone, code } = await startedUser();
    const sid = fakeSid('SM');
    await verifyCode(deps, { phoneNumber: phone, code, messageSid: sid });
    // As if the process died between the commit and the enqueue.
    await (await deps.queues['sms-outbound'].getJob(sendSmsJobId(sendKeyFor.confirmation(userId))))?.remove();

    await expect(verifyCode(deps, { phoneNumber: phone, code, messageSid: sid })).resolves.toEqual({
      outcome: 'skipped',
      reason: 'phone already verified',
    });

    expect(await repliesTo(phone)).toEqual([confirmationText()]);
  });

  it('sends a verified user no second confirmation for a later code, once the first has left Redis', async () => {
    const { userId, phone, code } = await startedUser();
    await verifyCode(deps, { phoneNumber: phone, code, messageSid: fakeSid('SM') });
    // The confirmation was sent and its finished job has been removed from Redis.
    await (await deps.queues['sms-outbound'].getJob(`send.confirmation.${userId}`))?.remove();

    for (const later of [code, otherCode(code)]) {
      await expect(verifyCode(deps, { phoneNumber: phone, code: later, messageSid: fakeSid('SM') })).resolves.toEqual({
        outcome: 'skipped',
        reason: 'phone already verified',
      });
    }
    expect(await repliesTo(phone)).toEqual([]);
  });

  it('counts a wrong code and says so', async () => {
    const { phone, code } = await startedUser();
    const sid = fakeSid('SM');

    await expect(verifyCode(deps, { phoneNumber: phone, code: otherCode(code), messageSid: sid })).resolves.toEqual({
      outcome: 'rejected',
      attempts: 1,
    });

    const link = await linkOf(phone);
    expect(link).toMatchObject({ verified: false, verification_attempts: 1 });
    expect(link.last_verification_attempt).toBeInstanceOf(Date);
    const reply = await deps.queues['sms-outbound'].getJob(sendSmsJobId(sendKeyFor.wrongCode(sid)));
    expect(reply?.data.body).toBe(wrongCodeText());
  });

  it('counts a message replayed after its job left Redis once, and a retry after a crash replies again', async () => {
    const { phone, code } = await startedUser();
    const message = { phoneNumber: phone, code: otherCode(code), messageSid: fakeSid('SM') };

    // The same inbound SMS handed over again and again, each time after its verify-code job expired.
    const outcomes = [];
    for (let replay = 0; replay < MAX_ATTEMPTS + 2; replay += 1) outcomes.push(await verifyCode(deps, message));
    expect(outcomes.slice(1)).toEqual(
      Array(MAX_ATTEMPTS + 1).fill({ outcome: 'skipped', reason: 'message already checked' }),
    );
    expect(await linkOf(phone)).toMatchObject({ verified: false, verification_attempts: 1 });

    // As if the first run died between the commit and the enqueue: a retry still tells the user, once.
    await (await deps.queues['sms-outbound'].getJob(sendSmsJobId(sendKeyFor.wrongCode(message.messageSid))))?.remove();
    await verifyCode(deps, message);
    expect(await repliesTo(phone)).toEqual([wrongCodeText()]);

    await expect(verifyCode(deps, { phoneNumber: phone, code, messageSid: fakeSid('SM') })).resolves.toEqual({
      outcome: 'verified',
    });
  });

  it('voids the code after the maximum, refuses even the right one, and a reminder issues a working code', async () => {
    const { userId, phone, code } = await startedUser();
    for (let attempt = 1; attempt <= MAX_ATTEMPTS; attempt += 1) {
      await verifyCode(deps, { phoneNumber: phone, code: otherCode(code), messageSid: fakeSid('SM') });
    }
    expect(await repliesTo(phone)).toEqual([wrongCodeText(), wrongCodeText(), codeVoidText()]);

    await expect(verifyCode(deps, { phoneNumber: phone, code, messageSid: fakeSid('SM') })).resolves.toEqual({
      outcome: 'refused',
      reason: 'code void after too many wrong attempts',
    });
    expect(await linkOf(phone)).toMatchObject({ verified: false, verification_attempts: MAX_ATTEMPTS });
    // The void notice goes out once per code.
    expect(await repliesTo(phone)).toEqual([wrongCodeText(), wrongCodeText(), codeVoidText()]);

    await sendReminder(deps, { userId, reminderNumber: 1 });
    const codeTexts = (await smsJobs(deps.queues, phone)).filter((job) => job.data.storedBody !== undefined);
    const newCode = codeIn(codeTexts.at(-1)?.data.body ?? '');
    expect(codeTexts).toHaveLength(2);
    expect(await linkOf(phone)).toMatchObject({ verification_attempts: 0 });

    await expect(verifyCode(deps, { phoneNumber: phone, code: newCode, messageSid: fakeSid('SM') })).resolves.toEqual({
      outcome: 'verified',
    });
    expect(await linkOf(phone)).toMatchObject({ verified: true });
  });

  it('settles a right code racing a reminder without a deadlock, one way or the other', async () => {
    for (let round = 0; round < 20; round += 1) {
      const { userId, phone, code } = await startedUser();
      const sid = fakeSid('SM');

      const [reminder, verification] = await Promise.all([
        sendReminder(deps, { userId, reminderNumber: 1 }),
        verifyCode(deps, { phoneNumber: phone, code, messageSid: sid }),
      ]);

      const link = await linkOf(phone);
      const profile = await db
        .selectFrom('user_profiles')
        .select('onboarding_status')
        .where('user_id', '=', userId)
        .executeTakeFirstOrThrow();
      if (verification.outcome === 'verified') {
        // The code won: the reminder found onboarding completed and issued nothing.
        expect(reminder).toEqual({ outcome: 'skipped', reason: 'onboarding completed' });
        expect(link).toMatchObject({ verified: true, verification_code: null });
        expect(profile.onboarding_status).toBe('completed');
        expect(await repliesTo(phone)).toEqual([confirmationText()]);
      } else {
        // The reminder won: its new code voided the old one before the code was checked.
        expect(reminder).toEqual({ outcome: 'sent' });
        expect(verification).toEqual({ outcome: 'rejected', attempts: 1 });
        expect(link).toMatchObject({ verified: false, verification_attempts: 1 });
        expect(profile.onboarding_status).not.toBe('completed');
        expect(await repliesTo(phone)).toEqual([wrongCodeText()]);
      }
    }
  });

  it('skips numbers without a link or without a code', async () => {
    await expect(
      verifyCode(deps, { phoneNumber: uniqueTestPhone(), code: '123456', messageSid: fakeSid('SM') }),
    ).resolves.toEqual({ outcome: 'skipped', reason: 'no phone link' });

    const phone = uniqueTestPhone();
    await insertUser(db, { linkedPhone: phone });
    await expect(verifyCode(deps, { phoneNumber: phone, code: '123456', messageSid: fakeSid('SM') })).resolves.toEqual({
      outcome: 'skipped',
      reason: 'no code issued',
    });
  });
});
