import type { JobData } from '@series-killer/shared';
import {
  findOnboardingMessages,
  insertOnboardingMessage,
  type OnboardingMessage,
} from '../messages/onboarding-messages.repository.ts';
import { welcomeText } from '../messages/onboarding-texts.ts';
import { sendOnboardingMessages } from '../messages/send-onboarding-messages.ts';
import type { OnboardingDeps } from '../onboarding-deps.ts';
import { resolvePhone } from '../phone/resolve-phone.ts';
import { failPendingProfile, lockProfile } from '../profiles/user-profiles.repository.ts';
import { scheduleReminder } from '../reminders/schedule-reminder.ts';
import { issueCode } from '../verification/issue-code.ts';

export type StartOnboardingResult =
  | { outcome: 'started' }
  | { outcome: 'resumed'; handedOver: number }
  | { outcome: 'skipped'; reason: string }
  | { outcome: 'failed'; reason: string };

type Decision =
  | { kind: 'send'; outcome: 'started' | 'resumed'; messages: OnboardingMessage[] }
  | { kind: 'skipped'; reason: string }
  | { kind: 'failed'; reason: string };

/**
 * Starts onboarding a `pending` profile: the welcome and verification messages are created
 * under the profile lock and handed to sms-outbound after commit, and the first reminder is
 * scheduled. Run again (another trigger, or a retry after a crash between commit and
 * enqueue), it hands over whatever is still pending; job ids keep every step single.
 */
export async function startOnboarding(
  deps: OnboardingDeps,
  { userId, trigger }: JobData<'start-onboarding'>,
): Promise<StartOnboardingResult> {
  const secret = deps.settings.verificationCodeSecret;
  const decision = await deps.db.transaction().execute(async (tx): Promise<Decision> => {
    const profile = await lockProfile(tx, userId);
    if (!profile) return { kind: 'skipped', reason: 'no profile' };
    if (profile.onboardingStatus === 'completed' || profile.onboardingStatus === 'failed') {
      return { kind: 'skipped', reason: `onboarding ${profile.onboardingStatus}` };
    }

    const existing = await findOnboardingMessages(tx, userId, ['welcome', 'verification']);
    if (existing.some((message) => message.messageType === 'welcome')) {
      const pending = existing.filter((message) => message.status === 'pending');
      return { kind: 'send', outcome: 'resumed', messages: pending };
    }
    if (profile.onboardingStatus !== 'pending') {
      return { kind: 'skipped', reason: `onboarding ${profile.onboardingStatus}` };
    }

    const phone = await resolvePhone(tx, userId);
    if (!phone.ok) {
      await failPendingProfile(tx, userId);
      return { kind: 'failed', reason: phone.reason };
    }
    const welcome = await insertOnboardingMessage(tx, {
      userId,
      phoneNumber: phone.link.phoneNumber,
      messageType: 'welcome',
      content: welcomeText(profile.firstName),
    });
    const verification = await issueCode(tx, secret, {
      userId,
      phoneLinkId: phone.link.id,
      phoneNumber: phone.link.phoneNumber,
      messageType: 'verification',
    });
    return { kind: 'send', outcome: 'started', messages: [welcome, verification] };
  });

  const log = deps.logger.child({ userId, trigger });
  if (decision.kind === 'skipped') {
    log.debug({ reason: decision.reason }, 'onboarding start skipped');
    return { outcome: 'skipped', reason: decision.reason };
  }
  if (decision.kind === 'failed') {
    log.warn({ reason: decision.reason }, 'onboarding failed');
    return { outcome: 'failed', reason: decision.reason };
  }

  await sendOnboardingMessages(deps.queues, secret, decision.messages);
  await scheduleReminder(deps, userId, 1);
  if (decision.outcome === 'started') {
    log.info('onboarding started');
    return { outcome: 'started' };
  }
  log.info({ handedOver: decision.messages.length }, 'onboarding resumed');
  return { outcome: 'resumed', handedOver: decision.messages.length };
}
