import { addJob, type Db, type JobData, type Queues, sendKeyFor } from '@series-killer/shared';
import { findLatestCodeMessageId } from '../messages/onboarding-messages.repository.ts';
import { codeVoidText, confirmationText, wrongCodeText } from '../messages/onboarding-texts.ts';
import type { OnboardingDeps } from '../onboarding-deps.ts';
import {
  findPhoneLinkOwner,
  findVerifyingMessageSid,
  lockPhoneLinkByPhone,
  markPhoneLinkVerified,
  recordCodeCheck,
  recordWrongAttempt,
} from '../phone/phone-links.repository.ts';
import { completeProfile, confirmAuthPhone, lockProfile } from '../profiles/user-profiles.repository.ts';
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

type Decision = VerifyCodeResult & { userId?: string; reply?: Reply };

/**
 * Checks a code texted back by a user. Correct: the link, the profile and (bootstrap mode) the
 * auth user are confirmed together and a confirmation goes out. Wrong: the attempt is counted
 * and the user told; once the attempts reach the maximum the code is void, and even the right
 * code is refused until a reminder issues a new one.
 *
 * Locks the profile, then the link: the order every onboarding step takes, so a code racing a
 * reminder waits for it instead of deadlocking. The reply is enqueued after commit, so a
 * transaction that rolls back sends nothing; a crash in between is covered by the retry, which
 * enqueues the same reply again under the same send key. The confirmation is repeated only for
 * a retry of the verifying message, known from phone_verifications.
 *
 * Each message is checked once, recorded in verification_code_checks: one handed over again (a
 * replayed webhook, a job run again once its id left Redis) counts no attempt; it only repeats
 * the reply it got, under the same send key, in case its first run crashed before enqueuing it.
 */
export async function verifyCode(
  deps: OnboardingDeps,
  { phoneNumber, code, messageSid }: JobData<'verify-code'>,
): Promise<VerifyCodeResult> {
  const secret = deps.settings.verificationCodeSecret;
  const maxAttempts = deps.settings.verificationMaxAttempts;
  const decision = await deps.db.transaction().execute(async (tx): Promise<Decision> => {
    const userId = await findPhoneLinkOwner(tx, phoneNumber);
    if (!userId) return { outcome: 'skipped', reason: 'no phone link' };
    await lockProfile(tx, userId);
    const link = await lockPhoneLinkByPhone(tx, phoneNumber);
    if (!link) return { outcome: 'skipped', reason: 'no phone link' };
    const confirmation = {
      userId,
      to: phoneNumber,
      sendKey: sendKeyFor.confirmation(userId),
      body: confirmationText(),
    };
    if (link.verified) {
      // Only a retry of the job that verified the phone (its first run may have crashed before
      // enqueuing) confirms again; any later code gets nothing, whatever Redis still holds.
      const isRetry = (await findVerifyingMessageSid(tx, link.id)) === messageSid;
      return {
        outcome: 'skipped',
        reason: 'phone already verified',
        userId,
        ...(isRetry ? { reply: confirmation } : {}),
      };
    }
    if (!link.verificationCode) return { outcome: 'skipped', reason: 'no code issued', userId };

    if (!(await recordCodeCheck(tx, link.id, messageSid))) {
      const reply = await wrongCodeReply(tx, userId, phoneNumber, messageSid, link.verificationAttempts >= maxAttempts);
      return { outcome: 'skipped', reason: 'message already checked', userId, reply };
    }
    if (link.verificationAttempts >= maxAttempts) {
      const reply = await voidNotice(tx, userId, phoneNumber);
      return { outcome: 'refused', reason: 'code void after too many wrong attempts', userId, reply };
    }

    if (verificationCodeMatches(secret, userId, code, link.verificationCode)) {
      await markPhoneLinkVerified(tx, link.id, messageSid);
      await completeProfile(tx, userId);
      if (deps.confirmAuthPhone) await confirmAuthPhone(tx, userId);
      return { outcome: 'verified', userId, reply: confirmation };
    }

    const attempts = await recordWrongAttempt(tx, link.id);
    const reply = await wrongCodeReply(tx, userId, phoneNumber, messageSid, attempts >= maxAttempts);
    return { outcome: 'rejected', attempts, userId, reply };
  });

  const { userId, reply, ...outcome } = decision;
  if (reply) await enqueueReply(deps.queues, reply);
  deps.logger.info({ userId, messageSid, ...outcome }, 'verification code checked');
  return outcome;
}

/** What a wrong code is told: that it was wrong, or that the code is now void. */
async function wrongCodeReply(db: Db, userId: string, to: string, messageSid: string, isVoid: boolean): Promise<Reply> {
  if (isVoid) return voidNotice(db, userId, to);
  return { userId, to, sendKey: sendKeyFor.wrongCode(messageSid), body: wrongCodeText() };
}

/** The "code void" notice goes out once per issued code: its send key names the message that carried the code. */
async function voidNotice(db: Db, userId: string, to: string): Promise<Reply> {
  const codeMessageId = await findLatestCodeMessageId(db, userId);
  return { userId, to, sendKey: sendKeyFor.codeVoid(userId, codeMessageId), body: codeVoidText() };
}

async function enqueueReply(queues: Queues, { userId, to, sendKey, body }: Reply): Promise<void> {
  await addJob(queues, 'send-sms', { sendKey, to, body, userId });
}
