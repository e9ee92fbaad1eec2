import {
  type Config,
  closeQueues,
  createDb,
  createLogger,
  createQueues,
  createRedisConnection,
  createWorker,
  type Logger,
} from '@series-killer/shared';
import { onboardingHandlers } from './onboarding.worker.ts';
import { scheduleSweep } from './sweep/sweep-pending-profiles.ts';

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
  config: Config,
  options: OnboardingWorkerOptions = {},
): Promise<OnboardingWorker> {
  const logger = options.logger ?? createLogger('onboarding', config.logLevel);
  const db = createDb(config.database, 'series-killer-onboarding', logger);
  const consumer = createRedisConnection(config.redis, 'worker');
  // Jobs are added from inside jobs, after their rows are committed: waiting out a Redis
  // outage beats failing fast and leaving those rows without their sends.
  const queueConnection = createRedisConnection(config.redis, 'worker');
  const queues = createQueues(queueConnection, config.redis, logger);
  const deps = {
    db,
    queues,
    logger,
    settings: config.onboarding,
    confirmAuthPhone: config.supabase === undefined,
  };
  const worker = createWorker('onboarding', onboardingHandlers(deps, { graceMs: options.sweepGraceMs }), {
    connection: consumer,
    redis: config.redis,
    logger,
    concurrency: config.workers.concurrency,
  });

  await scheduleSweep(queues, config.onboarding.sweepIntervalMs);
  worker.run().catch((error: unknown) => logger.error({ err: error }, 'onboarding worker stopped'));
  await worker.waitUntilReady();
  logger.info('onboarding worker started');

  return {
    async close() {
      await worker.close();
      await closeQueues(queues);
      await Promise.all([queueConnection.quit(), consumer.quit()]);
      await db.destroy();
    },
  };
}
