export {
  type OnboardingWorkers,
  type StartOnboardingWorkersOptions,
  startOnboardingWorkers,
} from './start-onboarding-workers.ts';
