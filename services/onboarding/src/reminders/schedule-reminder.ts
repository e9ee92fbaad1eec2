import { addJob } from '@series-killer/shared';
import type { OnboardingDeps } from '../onboarding-deps.ts';

/** Schedules reminder `reminderNumber` after the reminder delay, unless it is past the maximum. */
export async function scheduleReminder(
  deps: Pick<OnboardingDeps, 'queues' | 'settings'>,
  userId: string,
  reminderNumber: number,
): Promise<void> {
  if (reminderNumber > deps.settings.maxReminders) return;
  await addJob(deps.queues, 'send-reminder', { userId, reminderNumber }, { delay: deps.settings.reminderDelayMs });
}
