import { addJob, type Db, type JobData, type Queues } from '@series-killer/shared';
import { findLatestCodeMessageId } from '../messages/onboarding-messages.repository.ts';
import { codeVoidText, confirmationText, wrongCodeText } from '../messages/onboarding-texts.ts';
import type { OnboardingDeps } from '../onboarding-deps.ts';
import { lockPhoneLinkByPhone, markPhoneLinkVerified, recordWrongAttempt } from '../phone/phone-links.repository.ts';
import { completeProfile, confirmAuthPhone } from '../profiles/user-profiles.repository.ts';
import { verificationCodeMatches } from './verification-code.ts';

export type VerifyCodeResult =
  | { outcome: 'verified' }
  | { outcome: 'rejected'; attempts: number }
  | { outcome: 'refused'; reason: string }
  | { outcome: 'skipped'; reason: string };

interface Reply {
  userId: string;
  to: string;
  sendKey: string;
  body: string;
}

/**
 * Checks a code texted back by a user, under the phone link's lock. Correct: the link, the
 * profile and (bootstrap mode) the auth user are confirmed together and a confirmation goes
 * out. Wrong: the attempt is counted and the user told; once the attempts reach the maximum
 * the code is void, and even the right code is refused until a reminder issues a new one.
 *
 * The reply is enqueued inside the transaction, just before commit: a crash after the commit
 * cannot lose it, and its send key makes the retry's second enqueue a no-op.
 */
export async function verifyCode(
  deps: OnboardingDeps,
  { phoneNumber, code, messageSid }: JobData<'verify-code'>,
): Promise<VerifyCodeResult> {
  const secret = deps.settings.verificationCodeSecret;
  const maxAttempts = deps.settings.verificationMaxAttempts;
  const result = await deps.db.transaction().execute(async (tx): Promise<VerifyCodeResult & { userId?: string }> => {
    const link = await lockPhoneLinkByPhone(tx, phoneNumber);
    if (!link?.userId) return { outcome: 'skipped', reason: 'no phone link' };
    const userId = link.userId;
    if (link.verified) return { outcome: 'skipped', reason: 'phone already verified', userId };
    if (!link.verificationCode) return { outcome: 'skipped', reason: 'no code issued', userId };

    if (link.verificationAttempts >= maxAttempts) {
      await reply(deps.queues, await voidNotice(tx, userId, phoneNumber));
      return { outcome: 'refused', reason: 'code void after too many wrong attempts', userId };
    }

    if (verificationCodeMatches(secret, userId, code, link.verificationCode)) {
      await markPhoneLinkVerified(tx, link.id);
      await completeProfile(tx, userId);
      if (deps.confirmAuthPhone) await confirmAuthPhone(tx, userId);
      await reply(deps.queues, {
        userId,
        to: phoneNumber,
        sendKey: `confirmation.${userId}`,
        body: confirmationText(),
      });
      return { outcome: 'verified', userId };
    }

    const attempts = await recordWrongAttempt(tx, link.id);
    const notice =
      attempts >= maxAttempts
        ? await voidNotice(tx, userId, phoneNumber)
        : { userId, to: phoneNumber, sendKey: `wrong-code.${messageSid}`, body: wrongCodeText() };
    await reply(deps.queues, notice);
    return { outcome: 'rejected', attempts, userId };
  });

  const { userId, ...outcome } = result;
  deps.logger.info({ userId, messageSid, ...outcome }, 'verification code checked');
  return outcome;
}

/** The "code void" notice goes out once per issued code: its send key names the message that carried the code. */
async function voidNotice(db: Db, userId: string, to: string): Promise<Reply> {
  const codeMessageId = await findLatestCodeMessageId(db, userId);
  return { userId, to, sendKey: `code-void.${userId}.${codeMessageId ?? 0}`, body: codeVoidText() };
}

async function reply(queues: Queues, { userId, to, sendKey, body }: Reply): Promise<void> {
  await addJob(queues, 'send-sms', { sendKey, to, body, userId });
}
