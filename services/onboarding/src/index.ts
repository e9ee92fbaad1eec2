export {
  type OnboardingWorker,
  type OnboardingWorkerOptions,
  startOnboardingWorker,
} from './start-onboarding-worker.ts';
