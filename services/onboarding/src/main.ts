import { runService, SERVICE_CONFIG_SECTIONS } from '@series-killer/shared';
import { startOnboardingWorker } from './start-onboarding-worker.ts';

await runService('onboarding', SERVICE_CONFIG_SECTIONS.onboarding, (config, logger) =>
  startOnboardingWorker(config, { logger }),
);
