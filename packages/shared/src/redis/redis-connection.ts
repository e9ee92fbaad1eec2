import { Cluster, Redis, type RedisOptions } from 'ioredis';
import type { Config } from '../config/load-config.ts';

export type RedisConnection = Redis | Cluster;

/**
 * What a connection is for, following BullMQ's production guidance:
 * - `producer`: adds jobs on a request path. Fails fast (no offline queue, short command
 *   timeout, few retries) so a webhook answers 503 within a second while Redis is down.
 * - `worker`: workers and queue events. Waits out outages (`maxRetriesPerRequest: null`),
 *   reconnecting with capped backoff.
 */
export type RedisRole = 'producer' | 'worker';

const roleOptions: Record<RedisRole, RedisOptions> = {
  producer: {
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    commandTimeout: 500,
    connectTimeout: 2_000,
  },
  worker: {
    enableOfflineQueue: true,
    maxRetriesPerRequest: null,
    connectTimeout: 10_000,
  },
};

const retryStrategy = (times: number): number => Math.min(100 * 2 ** times, 5_000);

/**
 * One connection factory for the whole product: a Redis Cluster when
 * `REDIS_CLUSTER_NODES` is set, else `REDIS_URL`. Nothing else knows which it is.
 */
export function createRedisConnection(redis: Config['redis'], role: RedisRole): RedisConnection {
  const options: RedisOptions = { ...roleOptions[role], retryStrategy, lazyConnect: false };
  if (redis.clusterNodes) {
    return new Cluster(redis.clusterNodes, {
      redisOptions: options,
      enableOfflineQueue: options.enableOfflineQueue,
      clusterRetryStrategy: retryStrategy,
    });
  }
  return new Redis(redis.url, options);
}

/**
 * The BullMQ key prefix, wrapped in braces as a Redis Cluster hash tag so that every key
 * of a queue lands in one slot.
 */
export function bullPrefix(queuePrefix: string): string {
  return `{${queuePrefix}}`;
}
