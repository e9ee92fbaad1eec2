import { addOrRerunJob, type Queues, sendKeyFor } from '@series-killer/shared';
import { deriveVerificationCode } from '../verification/verification-code.ts';
import type { OnboardingMessage } from './onboarding-messages.repository.ts';
import { reminderText, verificationText } from './onboarding-texts.ts';

/**
 * The text to send for a stored message. A code-bearing row stores its text masked; the
 * real text is rebuilt from the code derived for that row, so a retry sends exactly what
 * the first attempt would have.
 */
export function textToSend(message: OnboardingMessage, secret: string): string {
  if (message.messageType === 'welcome') return message.content;
  const code = deriveVerificationCode(secret, message.userId, message.id);
  return message.messageType === 'verification' ? verificationText(code) : reminderText(code);
}

/**
 * Hands messages to sms-outbound, in order. The send key is the row id, so handing the same
 * row over again never sends a second text. A send job that failed (its retries ran out while
 * Twilio was down) is run again: the row is still pending, so it was never sent.
 */
export async function sendOnboardingMessages(
  queues: Queues,
  secret: string,
  messages: readonly OnboardingMessage[],
): Promise<void> {
  for (const message of messages) {
    const body = textToSend(message, secret);
    await addOrRerunJob(
      queues,
      'send-sms',
      {
        sendKey: sendKeyFor.onboardingMessage(message.id),
        to: message.phoneNumber,
        body,
        ...(body === message.content ? {} : { storedBody: message.content }),
        userId: message.userId,
        onboardingMessageId: message.id,
      },
      ['failed'],
    );
  }
}
