import { runService } from '@series-killer/shared';
import { startOnboardingWorker } from './start-onboarding-worker.ts';

await runService('onboarding', (config, logger) => startOnboardingWorker(config, { logger }), { metrics: true });
