import type { JobData } from '@series-killer/shared';
import { findOnboardingMessages, type OnboardingMessage } from '../messages/onboarding-messages.repository.ts';
import { sendOnboardingMessages } from '../messages/send-onboarding-messages.ts';
import type { OnboardingDeps } from '../onboarding-deps.ts';
import { findPhoneLinkByUser } from '../phone/phone-links.repository.ts';
import { lockProfile } from '../profiles/user-profiles.repository.ts';
import { issueCode } from '../verification/issue-code.ts';
import { scheduleReminder } from './schedule-reminder.ts';

export type SendReminderResult =
  | { outcome: 'sent' }
  | { outcome: 'resumed'; handedOver: number }
  | { outcome: 'skipped'; reason: string };

type Decision =
  | { kind: 'send'; outcome: 'sent' | 'resumed'; messages: OnboardingMessage[] }
  | { kind: 'skipped'; reason: string };

/**
 * Reminder `reminderNumber` for a user who has not verified yet: a `reminder` message with a
 * new code (which resets the attempts), then the next reminder is scheduled. The n-th
 * reminder row stands for reminder n, so a rerun hands over that row again instead of
 * issuing another code. While the welcome has not been sent, the reminder resends it and the
 * first code rather than texting a code with no welcome.
 */
export async function sendReminder(
  deps: OnboardingDeps,
  { userId, reminderNumber }: JobData<'send-reminder'>,
): Promise<SendReminderResult> {
  if (reminderNumber > deps.settings.maxReminders) return { outcome: 'skipped', reason: 'past the maximum reminders' };
  const secret = deps.settings.verificationCodeSecret;

  const decision = await deps.db.transaction().execute(async (tx): Promise<Decision> => {
    const profile = await lockProfile(tx, userId);
    if (!profile) return { kind: 'skipped', reason: 'no profile' };
    if (profile.onboardingStatus === 'completed' || profile.onboardingStatus === 'failed') {
      return { kind: 'skipped', reason: `onboarding ${profile.onboardingStatus}` };
    }
    const link = await findPhoneLinkByUser(tx, userId);
    if (!link) return { kind: 'skipped', reason: 'no phone link' };
    if (link.verified) return { kind: 'skipped', reason: 'phone already verified' };
    if (profile.onboardingStatus === 'pending') {
      // The welcome never went out (its send gave up while Twilio was down): a code alone would
      // arrive with no welcome, so the welcome and first code are handed over again instead.
      const unsent = await findOnboardingMessages(tx, userId, ['welcome', 'verification']);
      return { kind: 'send', outcome: 'resumed', messages: unsent.filter((message) => message.status === 'pending') };
    }

    const reminders = await findOnboardingMessages(tx, userId, ['reminder']);
    const issued = reminders[reminderNumber - 1];
    if (issued) {
      return { kind: 'send', outcome: 'resumed', messages: issued.status === 'pending' ? [issued] : [] };
    }
    const reminder = await issueCode(tx, secret, {
      userId,
      phoneLinkId: link.id,
      phoneNumber: link.phoneNumber,
      messageType: 'reminder',
    });
    return { kind: 'send', outcome: 'sent', messages: [reminder] };
  });

  const log = deps.logger.child({ userId, reminderNumber });
  if (decision.kind === 'skipped') {
    log.debug({ reason: decision.reason }, 'reminder skipped');
    return { outcome: 'skipped', reason: decision.reason };
  }
  await sendOnboardingMessages(deps.queues, secret, decision.messages);
  await scheduleReminder(deps, userId, reminderNumber + 1);
  if (decision.outcome === 'sent') {
    log.info('reminder sent');
    return { outcome: 'sent' };
  }
  return { outcome: 'resumed', handedOver: decision.messages.length };
}
