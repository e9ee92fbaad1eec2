import { type ConfigOf, createLogger, createWorker, type Logger, openWorkerProcess } from '@series-killer/shared';
import { onboardingHandlers } from './onboarding.worker.ts';
import { scheduleSweep } from './sweep/sweep-pending-profiles.ts';

/** The configuration sections the onboarding worker reads. */
export type OnboardingWorkerConfig = ConfigOf<'database' | 'redis' | 'onboarding' | 'workers'>;

export interface OnboardingWorkerOptions {
  /** Default: a pino logger named `onboarding` at `config.logLevel`. */
  logger?: Logger;
  /** Pending profiles younger than this are left to their trigger by the sweep. Milliseconds; default 60 000. */
  sweepGraceMs?: number;
}

export interface OnboardingWorker {
  /** Stops taking jobs, waits for the active ones, then closes every connection. */
  close(): Promise<void>;
}

/** Runs the onboarding worker in this process and registers the periodic sweep. */
export async function startOnboardingWorker(
  config: OnboardingWorkerConfig,
  options: OnboardingWorkerOptions = {},
): Promise<OnboardingWorker> {
  const logger = options.logger ?? createLogger('onboarding', config.logLevel);
  const workerProcess = openWorkerProcess(config, 'onboarding', logger);
  const deps = {
    db: workerProcess.db,
    queues: workerProcess.queues,
    logger,
    settings: config.onboarding,
    confirmAuthPhone: config.onboarding.confirmAuthPhone,
  };
  const worker = createWorker('onboarding', onboardingHandlers(deps, { graceMs: options.sweepGraceMs }), {
    connection: workerProcess.workerConnection,
    redis: config.redis,
    logger,
    concurrency: config.workers.concurrency,
  });

  await scheduleSweep(workerProcess.queues, config.onboarding.sweepIntervalMs);
  await workerProcess.run([worker]);
  logger.info('onboarding worker started');
  return { close: () => workerProcess.close() };
}
