import { runService, SERVICE_CONFIG_SECTIONS } from '@series-killer/shared';
import { startOnboardingWorkers } from './start-onboarding-workers.ts';

await runService('onboarding', SERVICE_CONFIG_SECTIONS.onboarding, (config, logger) =>
  startOnboardingWorkers(config, { logger }),
);
