import type { Db, RedisConnection } from '@series-killer/shared';
import { Router } from 'express';
import { sql } from 'kysely';

/** Milliseconds each dependency may take to answer a readiness check. */
const READY_TIMEOUT_MS = 500;

type Check = 'ok' | 'down';

async function check(probe: () => Promise<unknown>): Promise<Check> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<Check>((resolve) => {
    timer = setTimeout(() => resolve('down'), READY_TIMEOUT_MS);
  });
  const answer = probe().then(
    (): Check => 'ok',
    (): Check => 'down',
  );
  try {
    return await Promise.race([answer, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** `/healthz` (the process runs) and `/readyz` (Redis and Postgres answer). */
export function healthRoutes(deps: { db: Db; redis: RedisConnection }): Router {
  const router = Router();

  router.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });

  router.get('/readyz', async (_req, res) => {
    const [redis, postgres] = await Promise.all([
      check(() => deps.redis.ping()),
      check(() => sql`select 1`.execute(deps.db)),
    ]);
    res.status(redis === 'ok' && postgres === 'ok' ? 200 : 503).json({ redis, postgres });
  });

  return router;
}
