import {
  type ConfigOf,
  createRedisConnection,
  createWorker,
  type Db,
  type Logger,
  type Queues,
} from '@series-killer/shared';
import type { Worker } from 'bullmq';
import { type CallPlacer, lazyTwilioCallPlacer } from './call-placer.ts';
import { outboundCallOutcomesHandlers, outboundCallsHandlers } from './outbound-calls.worker.ts';

/** What placing calls reads of the configuration. */
export type OutboundCallsConfig = ConfigOf<'redis' | 'http' | 'twilio' | 'outboundCalls' | 'workers'>;

export interface OutboundCallWorkersOptions {
  db: Db;
  /** Where jobs are added from inside jobs (the call's history, the next attempt). */
  queues: Queues;
  logger: Logger;
  /** Default: Twilio's Calls API through the SDK, from `TWILIO_FROM_NUMBER`. */
  placer?: CallPlacer;
  /** Default: the system clock. */
  now?: () => Date;
  /** How long a placing run holds its claim, in ms. Default 60,000 (a Twilio request times out after 10 s). */
  leaseMs?: number;
}

/** How long a request to Twilio may take, in ms: well within a placing run's lease, so a slow answer never outlives it. */
const TWILIO_TIMEOUT_MS = 10_000;

export interface OutboundCallWorkers {
  close(): Promise<void>;
}

/**
 * Starts the workers that place outbound calls (at `CALLS_MAX_PER_SECOND` across every replica,
 * BullMQ's limiter being kept in Redis per queue) and apply what Twilio reports of them. Without
 * `TWILIO_FROM_NUMBER` no call can be placed: the calls wait in their queue, and that is logged.
 */
export async function startOutboundCallWorkers(
  config: OutboundCallsConfig,
  options: OutboundCallWorkersOptions,
): Promise<OutboundCallWorkers> {
  const { db, queues, logger } = options;
  const from = config.twilio.fromNumber;
  if (!options.placer && !from) {
    logger.error('TWILIO_FROM_NUMBER is unset: outbound calls wait until it is set');
    return { close: async () => {} };
  }
  const placer = options.placer ?? lazyTwilioCallPlacer(config.twilio, from ?? '', TWILIO_TIMEOUT_MS);
  const now = options.now ?? (() => new Date());
  const connection = createRedisConnection(config.redis, 'worker');
  connection.on('error', (error: Error) => logger.warn({ err: error }, 'redis connection error'));
  const common = { connection, redis: config.redis, logger, concurrency: config.workers.concurrency };
  const { outboundCalls: calls } = config;
  const workers: Worker[] = [
    createWorker(
      'outbound-calls',
      outboundCallsHandlers({
        db,
        placer,
        queues,
        now,
        settings: {
          hours: calls.hours,
          defaultTimeZone: calls.defaultTimeZone,
          publicBaseUrl: config.http.publicBaseUrl,
          callbackOverrides: config.twilio.callbackOverrides,
          leaseMs: options.leaseMs ?? 60_000,
        },
      }),
      // One call per 1/CALLS_MAX_PER_SECOND seconds: the limiter is kept in Redis, so it holds across replicas.
      { ...common, limiter: { max: 1, duration: Math.ceil(1_000 / calls.maxPerSecond) } },
    ),
    createWorker(
      'outbound-call-outcomes',
      outboundCallOutcomesHandlers({ db, queues, now, retries: calls.retries, retryAfterMs: calls.retryAfterMs }),
      common,
    ),
  ];
  for (const worker of workers)
    worker.run().catch((error: unknown) => logger.error({ err: error, queue: worker.name }, 'worker stopped'));
  await Promise.all(workers.map((worker) => worker.waitUntilReady()));
  return {
    async close() {
      await Promise.all(workers.map((worker) => worker.close()));
      await connection.quit();
    },
  };
}
