import type { Logger, QueueName, Queues } from '@series-killer/shared';
import { withTimeout } from '@series-killer/shared';
import type { RequestHandler } from 'express';
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';

/** The job states whose counts are exported per queue. */
const JOB_STATES = ['waiting', 'active', 'delayed', 'prioritized', 'waiting-children', 'completed', 'failed'] as const;

/** How long a scrape waits for Redis' job counts, in milliseconds, before it answers with the last ones. */
const QUEUE_COUNTS_TIMEOUT_MS = 2_000;

class QueueCountsTimeoutError extends Error {
  constructor() {
    super(`Redis did not return the job counts within ${QUEUE_COUNTS_TIMEOUT_MS} ms`);
    this.name = 'QueueCountsTimeoutError';
  }
}

/** The ingress's Prometheus metrics, on a registry of its own. */
export interface IngressMetrics {
  registry: Registry;
  /** Counts each finished HTTP request under the one of `routes` it hit (or `unmatched`) and its status. */
  observeRequests(routes: readonly string[]): RequestHandler;
  /** Records how long one job took to be stored (or to fail), in milliseconds. */
  observeEnqueue(queue: QueueName, ms: number, outcome: 'stored' | 'failed'): void;
}

/** The route a path belongs to, or `unmatched`, so that label values stay few. */
function routeLabel(routes: readonly string[], originalUrl: string): string {
  const path = originalUrl.split('?')[0] ?? '';
  return routes.find((route) => path === route) ?? routes.find((route) => path.startsWith(`${route}/`)) ?? 'unmatched';
}

async function readJobCounts(queues: Queues) {
  return Promise.all(
    Object.entries(queues).map(async ([name, queue]) => [name, await queue.getJobCounts(...JOB_STATES)] as const),
  );
}

export function createIngressMetrics(queues: Queues, logger: Logger): IngressMetrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });

  const requests = new Counter({
    name: 'ingress_http_requests_total',
    help: 'HTTP requests answered, by route, method and status code',
    labelNames: ['route', 'method', 'status'] as const,
    registers: [registry],
  });
  const enqueueSeconds = new Histogram({
    name: 'ingress_enqueue_duration_seconds',
    help: 'Time from a request reaching the enqueue step until Redis stored its job (or it failed)',
    labelNames: ['queue', 'outcome'] as const,
    buckets: [0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1],
    registers: [registry],
  });
  const stale = new Gauge({
    name: 'ingress_queue_jobs_stale',
    help: '1 while Redis cannot be read: ingress_queue_jobs then holds the last counts read (none before the first)',
    registers: [registry],
  });
  const lastRead = new Gauge({
    name: 'ingress_queue_jobs_read_timestamp_seconds',
    help: 'When ingress_queue_jobs was last read from Redis (Unix time)',
    registers: [registry],
  });
  new Gauge({
    name: 'ingress_queue_jobs',
    help: 'Jobs per queue and state, read from Redis at scrape time',
    labelNames: ['queue', 'state'] as const,
    registers: [registry],
    // A failed read leaves the last counts in place and the scrape answered, marked stale.
    async collect() {
      try {
        const counts = await withTimeout(readJobCounts(queues), QUEUE_COUNTS_TIMEOUT_MS, () => {
          throw new QueueCountsTimeoutError();
        });
        for (const [queue, byState] of counts) {
          for (const state of JOB_STATES) this.set({ queue, state }, byState[state] ?? 0);
        }
        stale.set(0);
        lastRead.setToCurrentTime();
      } catch (error) {
        stale.set(1);
        logger.warn({ err: error }, 'queue metrics are stale: Redis could not be read');
      }
    },
  });

  return {
    registry,
    observeRequests: (routes) => (req, res, next) => {
      res.on('finish', () => {
        requests.inc({ route: routeLabel(routes, req.originalUrl), method: req.method, status: res.statusCode });
      });
      next();
    },
    observeEnqueue: (queue, ms, outcome) => enqueueSeconds.observe({ queue, outcome }, ms / 1000),
  };
}
