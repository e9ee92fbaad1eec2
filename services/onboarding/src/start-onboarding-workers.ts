import { type ConfigOf, createLogger, createWorker, type Logger, openWorkerProcess } from '@series-killer/shared';
import { onboardingHandlers } from './flow/onboarding.worker.ts';
import { scheduleSweep } from './sweep/sweep-pending-profiles.ts';

/** The configuration sections the onboarding worker reads. */
export type OnboardingWorkersConfig = ConfigOf<'database' | 'redis' | 'onboarding' | 'workers'>;

export interface StartOnboardingWorkersOptions {
  /** Default: a pino logger named `onboarding` at `config.logLevel`. */
  logger?: Logger;
  /** Pending profiles younger than this are left to their trigger by the sweep. Milliseconds; default 60 000. */
  sweepGraceMs?: number;
}

export interface OnboardingWorkers {
  /** Stops taking jobs, waits for the active ones, then closes every connection. */
  close(): Promise<void>;
}

/** Starts the onboarding worker of this process and registers the periodic sweep. */
export async function startOnboardingWorkers(
  config: OnboardingWorkersConfig,
  options: StartOnboardingWorkersOptions = {},
): Promise<OnboardingWorkers> {
  const logger = options.logger ?? createLogger('onboarding', config.logLevel);
  const workerProcess = openWorkerProcess(config, 'onboarding', logger);
  const { db, queues } = workerProcess;
  const common = workerProcess.workerOptions;

  await scheduleSweep(queues, config.onboarding.sweepIntervalMs);
  await workerProcess.run([
    createWorker(
      'onboarding',
      onboardingHandlers({
        db,
        queues,
        logger,
        settings: config.onboarding,
        confirmAuthPhone: config.onboarding.confirmAuthPhone,
        sweep: { graceMs: options.sweepGraceMs },
      }),
      common,
    ),
  ]);
  logger.info('onboarding worker started');
  return { close: () => workerProcess.close() };
}
