import type { Config, Queues } from '@series-killer/shared';
import { type Request, type RequestHandler, Router } from 'express';
import { HttpError } from '../http/http-errors.ts';
import { matchesSecret, secretDigest } from '../http/secret-digest.ts';
import { trackFailedLogins } from './failed-logins.ts';

/** Where the dashboard is mounted. */
export const DASHBOARD_PATH = '/admin/queues';

/** 10 failed logins a minute per client; 10,000 clients remembered at most (about 1 MB). */
const FAILED_LOGIN_LIMITS = { maxFailures: 10, windowMs: 60_000, maxClients: 10_000 };

/**
 * Basic auth, with failed attempts limited per client address: past the limit every attempt,
 * right or wrong, gets 429 and Retry-After until the client's window ends, so the password
 * cannot be guessed at the ingress's speed.
 */
function requireBasicAuth(dashboard: NonNullable<Config['dashboard']>): RequestHandler {
  const expected = secretDigest(`${dashboard.user}:${dashboard.password}`);
  const failedLogins = trackFailedLogins(FAILED_LOGIN_LIMITS);
  return (req, res, next) => {
    const client = req.socket.remoteAddress ?? '';
    const retryAfterMs = failedLogins.retryAfterMs(client);
    if (retryAfterMs > 0) {
      res.set('Retry-After', String(Math.ceil(retryAfterMs / 1_000)));
      throw new HttpError(429, 'too many failed logins');
    }
    const match = /^Basic ([A-Za-z0-9+/=]+)$/.exec(req.get('Authorization') ?? '');
    const given = match?.[1] ? Buffer.from(match[1], 'base64').toString('utf8') : '';
    if (!matchesSecret(given, expected)) {
      failedLogins.recordFailure(client);
      res.set('WWW-Authenticate', 'Basic realm="queues", charset="UTF-8"');
      throw new HttpError(401, 'authentication required');
    }
    failedLogins.recordSuccess(client);
    next();
  };
}

function originOf(value: string | undefined): string | undefined {
  if (!value || !URL.canParse(value)) return undefined;
  return new URL(value).origin;
}

function requestOrigin(req: Request): string {
  return `${req.protocol}://${req.get('host') ?? ''}`;
}

/**
 * Retrying, removing or promoting jobs only from the dashboard's own pages: a non-GET
 * request must carry an Origin (or Referer) of the public URL or of the request itself,
 * so a third-party page cannot act with the browser's stored credentials.
 */
function requireSameOrigin(publicBaseUrl: string): RequestHandler {
  const publicOrigin = new URL(publicBaseUrl).origin;
  return (req, _res, next) => {
    if (req.method === 'GET' || req.method === 'HEAD') return next();
    const origin = originOf(req.get('Origin')) ?? originOf(req.get('Referer'));
    if (origin !== publicOrigin && origin !== requestOrigin(req)) {
      throw new HttpError(403, 'cross-origin dashboard actions are refused');
    }
    next();
  };
}

/** Bull Board's router over every queue. */
async function loadBoard(queues: Queues): Promise<RequestHandler> {
  const [{ createBullBoard }, { BullMQAdapter }, { ExpressAdapter }] = await Promise.all([
    import('@bull-board/api'),
    import('@bull-board/api/bullMQAdapter'),
    import('@bull-board/express'),
  ]);
  const serverAdapter = new ExpressAdapter();
  serverAdapter.setBasePath(DASHBOARD_PATH);
  createBullBoard({
    queues: Object.values(queues).map((queue) => new BullMQAdapter(queue)),
    serverAdapter,
    options: { uiConfig: { boardTitle: 'Series Killer queues' } },
  });
  return serverAdapter.getRouter();
}

/**
 * Bull Board, loaded on the dashboard's first request: its code and libraries (templates,
 * lodash, valibot) held 2–4 MB of every ingress's memory, and most ingresses never serve the
 * dashboard. A load that failed is tried again on the next request.
 */
function boardOnFirstUse(queues: Queues): RequestHandler {
  let board: Promise<RequestHandler> | undefined;
  return (req, res, next) => {
    board ??= loadBoard(queues).catch((error: unknown) => {
      board = undefined;
      throw error;
    });
    board.then((handle) => handle(req, res, next), next);
  };
}

/** Bull Board over every queue, behind basic auth; 404 when no dashboard credentials are set. */
export function dashboardRoutes(queues: Queues, config: Pick<Config, 'dashboard' | 'http'>): Router {
  const router = Router();
  const { dashboard } = config;
  // Unconfigured, the path falls through to the JSON 404.
  if (!dashboard) return router;
  router.use(
    DASHBOARD_PATH,
    requireBasicAuth(dashboard),
    requireSameOrigin(config.http.publicBaseUrl),
    boardOnFirstUse(queues),
  );
  return router;
}
