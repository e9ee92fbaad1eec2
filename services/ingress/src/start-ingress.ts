import { once } from 'node:events';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  type ConfigOf,
  closeQueues,
  createDb,
  createLogger,
  createQueues,
  createRedisConnection,
  type Logger,
} from '@series-killer/shared';
import type { Registry } from 'prom-client';
import { createApp } from './app.ts';
import { createIngressMetrics } from './metrics/ingress-metrics.ts';
import { authUsersFor } from './users/auth-users.ts';

/** The configuration sections the ingress reads. */
export type IngressConfig = ConfigOf<
  | 'database'
  | 'redis'
  | 'http'
  | 'twilio'
  | 'supabase'
  | 'internalApi'
  | 'dashboard'
  | 'voice'
  | 'metrics'
  | 'outboundCalls'
>;

export interface StartIngressOptions {
  /** Default: the shared JSON logger at `config.logLevel`. */
  logger?: Logger;
  /** Milliseconds in-flight requests get to finish on close before their connections are cut. Default 5000 (the process must stop within 9 s). */
  shutdownGraceMs?: number;
  /** Milliseconds a client gets to send a request's headers. Default 5000. */
  headersTimeoutMs?: number;
  /** Milliseconds a client gets to send a whole request, body included. Default 10000: Twilio gives up after 15 s. */
  requestTimeoutMs?: number;
}

/**
 * How often Node looks for requests past their timeouts, in milliseconds. Its default, 30 s,
 * would let a slow body hold a socket three times longer than the timeout says.
 */
const TIMEOUT_CHECK_INTERVAL_MS = 1_000;

export interface RunningIngress {
  /** Where the ingress listens, e.g. `http://127.0.0.1:3000`. */
  url: string;
  /** The ingress's Prometheus metrics, for `METRICS_PORT`. */
  metrics: Registry;
  /** Stops accepting, lets in-flight requests finish, then closes queues, Redis and Postgres. */
  close(): Promise<void>;
}

/** Starts the ingress on `config.http.port`. */
export async function startIngress(config: IngressConfig, options: StartIngressOptions = {}): Promise<RunningIngress> {
  const logger = options.logger ?? createLogger('ingress', config.logLevel);
  const db = createDb(config.database, 'series-killer-ingress', logger);
  const redis = createRedisConnection(config.redis, 'producer');
  // Logged, not thrown: while Redis is down requests answer 503 and ioredis keeps reconnecting.
  redis.on('error', (error: Error) => logger.warn({ err: error }, 'redis connection error'));
  const queues = createQueues(redis, config.redis, logger);
  const metrics = createIngressMetrics(queues, logger);
  const app = createApp({ config, db, queues, redis, authUsers: await authUsersFor(config, db), metrics, logger });

  // A slow or stalled client is cut off long before Node's defaults (a minute for headers, five
  // for a body) would: nothing Twilio sends takes seconds to arrive.
  const requestTimeoutMs = options.requestTimeoutMs ?? 10_000;
  const server = createServer(
    {
      headersTimeout: Math.min(options.headersTimeoutMs ?? 5_000, requestTimeoutMs),
      requestTimeout: requestTimeoutMs,
      connectionsCheckingInterval: TIMEOUT_CHECK_INTERVAL_MS,
    },
    app,
  ).listen(config.http.port, config.http.host);
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  const url = `http://127.0.0.1:${port}`;
  logger.info({ url, publicBaseUrl: config.http.publicBaseUrl }, 'ingress listening');

  async function close(): Promise<void> {
    const stopped = new Promise<void>((resolve) => server.close(() => resolve()));
    const grace = setTimeout(() => server.closeAllConnections(), options.shutdownGraceMs ?? 5_000);
    await stopped;
    clearTimeout(grace);
    await closeQueues(queues);
    redis.disconnect();
    await db.destroy();
    logger.info('ingress stopped');
  }

  return { url, metrics: metrics.registry, close };
}
