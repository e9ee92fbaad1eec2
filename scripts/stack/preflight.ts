import type { Config } from '@series-killer/shared';
import { Cluster, Redis } from 'ioredis';
import pg from 'pg';

/** A URL with its password replaced, for messages. */
export function redactUrl(url: string): string {
  const parsed = new URL(url);
  if (parsed.password) parsed.password = '***';
  return parsed.toString();
}

async function checkPostgres(url: string): Promise<string | undefined> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 3_000 });
  try {
    await client.connect();
    await client.query('SELECT 1');
    return undefined;
  } catch (error) {
    return (
      `Postgres is not reachable at ${redactUrl(url)} (${(error as Error).message}). ` +
      'Start it with `docker compose --env-file docker-compose.sandbox.env up -d postgres`, or on Debian `apt-get install postgresql && pg_ctlcluster 15 main start`.'
    );
  } finally {
    await client.end().catch(() => {});
  }
}

async function checkRedis(redis: Config['redis']): Promise<string | undefined> {
  if (redis.clusterNodes) return checkRedisCluster(redis.clusterNodes);
  const client = new Redis(redis.url, {
    lazyConnect: true,
    connectTimeout: 3_000,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
  });
  try {
    await client.connect();
    await client.ping();
    return undefined;
  } catch (error) {
    return (
      `Redis is not reachable at ${redactUrl(redis.url)} (${(error as Error).message}). ` +
      'Start it with `docker compose --env-file docker-compose.sandbox.env up -d redis` (then REDIS_URL=redis://:sandbox-redis@127.0.0.1:6379), or on Debian `apt-get install redis-server && redis-server --daemonize yes`.'
    );
  } finally {
    client.disconnect();
  }
}

async function checkRedisCluster(nodes: { host: string; port: number }[]): Promise<string | undefined> {
  const cluster = new Cluster(nodes, { lazyConnect: true, clusterRetryStrategy: () => null });
  // The failure is reported through the rejected connect below; the event would only repeat it.
  cluster.on('error', () => {});
  const seeds = nodes.map((node) => `${node.host}:${node.port}`).join(',');
  try {
    await Promise.race([
      cluster.connect().then(() => cluster.ping()),
      new Promise((_, reject) => setTimeout(() => reject(new Error('no answer within 5 s')), 5_000).unref()),
    ]);
    return undefined;
  } catch (error) {
    return (
      `The Redis Cluster at ${seeds} is not reachable (${(error as Error).message}). ` +
      'Start a local one with `npm run redis:cluster -- start`, or unset REDIS_CLUSTER_NODES to use REDIS_URL.'
    );
  } finally {
    cluster.disconnect();
  }
}

/** One readable line per backing service that does not answer; empty when both do. */
export async function checkBackingServices(config: Config): Promise<string[]> {
  const problems = await Promise.all([checkPostgres(config.database.directUrl), checkRedis(config.redis)]);
  return problems.filter((problem): problem is string => problem !== undefined);
}
