import { setTimeout as sleep } from 'node:timers/promises';
import express, { type NextFunction, type Response, Router } from 'express';
import type { BoundedLog } from '../log/bounded-log.ts';
import { twilioBasicAuth } from './auth/basic-auth.ts';
import { type CallsRouterDeps, callsRouter } from './calls/calls.router.ts';
import { type MessagesRouterDeps, messagesRouter } from './messages/messages.router.ts';
import { newSid } from './sids.ts';
import { sendTwilioError } from './twilio-error.ts';

/** A request to the sandbox's Twilio REST API, as logged. */
export interface TwilioRequestRecord {
  method: string;
  path: string;
  params: Record<string, unknown>;
  status: number;
  at: number;
  /** How long the `latencyMs` switch held it before it was handled, in ms; absent when not held. */
  heldMs?: number;
}

/** A switch making the Twilio REST API fail as Twilio does under load or during an incident. */
export interface TwilioMode {
  /** Answer every authenticated REST request with this HTTP status (429 → Twilio 20429, 500 → 20500, 503 → 20503). */
  failWith?: 429 | 500 | 503;
  /**
   * Hold each authenticated REST request this long before handling it, in ms, as if it were in
   * flight: a message create held so is not in the store (nor listed) until it is handled. Default 0.
   */
  latencyMs?: number;
  /** How many requests the mode (failure, latency) applies to. Default: every request until the mode is replaced. */
  times?: number;
  /**
   * The account is a trial account with no verified numbers: every message create is refused
   * with 21608, as Twilio refuses a trial account's sends to unverified numbers. Default false.
   */
  trialAccount?: boolean;
}

const FAILURES = {
  429: { code: 20429, message: 'Too Many Requests' },
  500: { code: 20500, message: 'Internal Server Error' },
  503: { code: 20503, message: 'Service Unavailable' },
} as const;

/** What the failure switch does to one request. */
export type TwilioFault = Pick<TwilioMode, 'failWith' | 'latencyMs'>;

export interface TwilioApiDeps extends MessagesRouterDeps, CallsRouterDeps {
  accountSid: string;
  authToken: string;
  requests: BoundedLog<TwilioRequestRecord>;
  /** The fault of the current request, if any (and counts it). */
  takeFault(): TwilioFault | undefined;
  /** Aborts held requests when the sandbox closes. */
  signal: AbortSignal;
}

/** Answers with the switch's failure, or passes the request on to the resources. */
function failOrPass(failure: TwilioMode['failWith'], res: Response, next: NextFunction): void {
  if (failure === undefined) {
    next();
    return;
  }
  sendTwilioError(res, failure, FAILURES[failure].code, FAILURES[failure].message);
}

/** Twilio's REST API subset under /2010-04-01/Accounts/{AccountSid}: basic auth, request log, failure and latency switch, Messages, Calls. */
export function twilioApi(deps: TwilioApiDeps): Router {
  const router = Router({ mergeParams: true });
  router.use(express.urlencoded({ extended: false, limit: '64kb' }));
  router.use((req, res, next) => {
    res.set('Twilio-Request-Id', newSid('RQ'));
    res.on('close', () => {
      // A held request is handled even when its client stopped waiting, as Twilio handles a
      // request whose client timed out: it is logged once handled.
      void Promise.resolve(res.locals.handled).then(() => {
        const params = (req.method === 'POST' ? req.body : req.query) as Record<string, unknown>;
        deps.requests.push({
          method: req.method,
          path: req.originalUrl.split('?')[0] ?? '',
          params,
          status: res.statusCode,
          at: Date.now(),
          ...(typeof res.locals.heldMs === 'number' ? { heldMs: res.locals.heldMs } : {}),
        });
      });
    });
    next();
  });
  router.use(twilioBasicAuth(deps));
  router.use(async (_req, res, next) => {
    const fault = deps.takeFault();
    if (!fault?.latencyMs) {
      failOrPass(fault?.failWith, res, next);
      return;
    }
    let resolve = () => {};
    res.locals.handled = new Promise<void>((settle) => {
      resolve = settle;
    });
    try {
      await sleep(fault.latencyMs, undefined, { signal: deps.signal });
      res.locals.heldMs = fault.latencyMs;
      // The handlers below answer synchronously: once this returns, the request is handled.
      failOrPass(fault.failWith, res, next);
    } finally {
      resolve();
    }
  });
  router.use(messagesRouter(deps));
  router.use(callsRouter(deps));
  router.use((req, res) => {
    sendTwilioError(res, 404, 20404, `The requested resource ${req.originalUrl.split('?')[0]} was not found`);
  });
  return router;
}
