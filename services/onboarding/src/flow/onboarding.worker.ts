import type { JobHandlers } from '@series-killer/shared';
import type { OnboardingDeps } from '../onboarding-deps.ts';
import { sendReminder } from '../reminders/send-reminder.ts';
import { startOnboarding } from '../start/start-onboarding.ts';
import { type SweepOptions, sweepPendingProfiles } from '../sweep/sweep-pending-profiles.ts';
import { verifyCode } from '../verification/verify-code.ts';

export interface OnboardingWorkerDeps extends OnboardingDeps {
  /** How the periodic sweep picks up pending profiles nobody started. */
  sweep: SweepOptions;
}

/** The onboarding queue's handlers: each hands its validated payload to one step of the flow. */
export function onboardingHandlers(deps: OnboardingWorkerDeps): JobHandlers<'onboarding'> {
  return {
    'start-onboarding': (data) => startOnboarding(deps, data),
    'verify-code': (data) => verifyCode(deps, data),
    'send-reminder': (data) => sendReminder(deps, data),
    'sweep-pending-profiles': () => sweepPendingProfiles(deps, deps.sweep),
  };
}
