import type { Db, RedisConnection } from '@series-killer/shared';
import { withTimeout } from '@series-killer/shared';
import { Router } from 'express';
import { sql } from 'kysely';
import { shareProbe } from './shared-probe.ts';

/** Milliseconds each dependency may take to answer a readiness check. */
const READY_TIMEOUT_MS = 500;
/** Milliseconds a readiness answer is reused for. */
const READY_MAX_AGE_MS = 1_000;

type Check = 'ok' | 'down';

function check(probe: () => Promise<unknown>): Promise<Check> {
  const answer = probe().then(
    (): Check => 'ok',
    (): Check => 'down',
  );
  return withTimeout(answer, READY_TIMEOUT_MS, (): Check => 'down');
}

/**
 * `/healthz` (the process runs) and `/readyz` (Redis and Postgres answer). `/readyz` is public, so
 * it answers from a check at most a second old, shared by concurrent callers: a flood of probes
 * costs one ping and one pool connection a second, not one each.
 */
export function healthRoutes(deps: { db: Db; redis: RedisConnection }): Router {
  const router = Router();
  const readiness = shareProbe(async () => {
    const [redis, postgres] = await Promise.all([
      check(() => deps.redis.ping()),
      check(() => sql`select 1`.execute(deps.db)),
    ]);
    return { redis, postgres };
  }, READY_MAX_AGE_MS);

  router.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });

  router.get('/readyz', async (_req, res) => {
    const { redis, postgres } = await readiness();
    res.status(redis === 'ok' && postgres === 'ok' ? 200 : 503).json({ redis, postgres });
  });

  return router;
}
