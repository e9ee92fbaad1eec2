import type { Db } from '@series-killer/shared';
import { VERIFICATION_CODE_MASK } from '@series-killer/shared';
import { insertOnboardingMessage, type OnboardingMessage } from '../messages/onboarding-messages.repository.ts';
import { reminderText, verificationText } from '../messages/onboarding-texts.ts';
import { setVerificationCode } from '../phone/phone-links.repository.ts';
import { deriveVerificationCode, hashVerificationCode } from './verification-code.ts';

/**
 * Issues a new code: a `verification` or `reminder` message row (stored masked) and the
 * code's hash on the phone link, which voids any earlier code and resets the attempts.
 * Call inside the transaction that holds the profile lock.
 */
export async function issueCode(
  db: Db,
  secret: string,
  target: { userId: string; phoneLinkId: number; phoneNumber: string; messageType: 'verification' | 'reminder' },
): Promise<OnboardingMessage> {
  const maskedText =
    target.messageType === 'verification'
      ? verificationText(VERIFICATION_CODE_MASK)
      : reminderText(VERIFICATION_CODE_MASK);
  const message = await insertOnboardingMessage(db, {
    userId: target.userId,
    phoneNumber: target.phoneNumber,
    messageType: target.messageType,
    content: maskedText,
  });
  const code = deriveVerificationCode(secret, target.userId, message.id);
  await setVerificationCode(db, target.phoneLinkId, hashVerificationCode(secret, target.userId, code));
  return message;
}
