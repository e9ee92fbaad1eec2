import type { Worker } from 'bullmq';
import type { ConfigOf } from '../config/load-config.ts';
import { createDb, type Db } from '../db/create-db.ts';
import type { Logger } from '../logging/logger.ts';
import { closeQueues, createQueues, type Queues } from '../queues/queues.ts';
import type { CreateWorkerOptions } from '../queues/worker.ts';
import { createRedisConnection, type RedisConnection } from '../redis/redis-connection.ts';

/** What a worker process opens once and hands to its workers. */
export interface WorkerProcess {
  db: Db;
  /** For `createWorker`: the workers' blocking reads of jobs. */
  workerConnection: RedisConnection;
  /**
   * For jobs added from inside jobs, after their rows are committed: on a connection that
   * waits out a Redis outage, since failing fast there would leave rows without their jobs.
   */
  queues: Queues;
  logger: Logger;
  /** `createWorker`'s options for this process: its worker connection, logger and concurrency. */
  workerOptions: CreateWorkerOptions;
  /** Runs the workers and resolves once each is connected. */
  run(workers: Worker[]): Promise<void>;
  /** Stops the workers (waiting for active jobs), then closes the queues, Redis and the pool. */
  close(): Promise<void>;
}

export function openWorkerProcess(
  config: ConfigOf<'database' | 'redis' | 'workers'>,
  service: string,
  logger: Logger,
): WorkerProcess {
  const db = createDb(config.database, `series-killer-${service}`, logger);
  const workerConnection = createRedisConnection(config.redis, 'worker');
  const queueConnection = createRedisConnection(config.redis, 'worker');
  // Logged, not thrown: ioredis keeps reconnecting and jobs wait while Redis is away.
  for (const connection of [workerConnection, queueConnection]) {
    connection.on('error', (error: Error) => logger.warn({ err: error }, 'redis connection error'));
  }
  const queues = createQueues(queueConnection, config.redis, logger);
  let running: Worker[] = [];

  return {
    db,
    workerConnection,
    queues,
    logger,
    workerOptions: {
      connection: workerConnection,
      redis: config.redis,
      logger,
      concurrency: config.workers.concurrency,
    },
    async run(workers) {
      running = workers;
      for (const worker of workers) {
        worker.run().catch((error: unknown) => logger.error({ err: error, queue: worker.name }, 'worker stopped'));
      }
      await Promise.all(workers.map((worker) => worker.waitUntilReady()));
    },
    async close() {
      await Promise.all(running.map((worker) => worker.close()));
      await closeQueues(queues);
      await Promise.all([workerConnection.quit(), queueConnection.quit()]);
      await db.destroy();
    },
  };
}
