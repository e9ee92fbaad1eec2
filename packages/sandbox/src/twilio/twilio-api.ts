import express, { Router } from 'express';
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
}

/** A switch making the Twilio REST API fail as Twilio does under load or during an incident. */
export interface TwilioMode {
  /** Answer every authenticated REST request with this HTTP status (429 → Twilio 20429, 500 → 20500, 503 → 20503). */
  failWith?: 429 | 500 | 503;
  /** How many requests fail before the API recovers. Default: every request until the mode is replaced. */
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

export interface TwilioApiDeps extends MessagesRouterDeps, CallsRouterDeps {
  accountSid: string;
  authToken: string;
  requests: BoundedLog<TwilioRequestRecord>;
  /** The failure to answer the current request with, if any (and counts it). */
  takeFailure(): TwilioMode['failWith'];
}

/** Twilio's REST API subset under /2010-04-01/Accounts/{AccountSid}: basic auth, request log, failure switch, Messages, Calls. */
export function twilioApi(deps: TwilioApiDeps): Router {
  const router = Router({ mergeParams: true });
  router.use(express.urlencoded({ extended: false, limit: '64kb' }));
  router.use((req, res, next) => {
    res.set('Twilio-Request-Id', newSid('RQ'));
    res.on('finish', () => {
      const params = (req.method === 'POST' ? req.body : req.query) as Record<string, unknown>;
      deps.requests.push({
        method: req.method,
        path: req.originalUrl.split('?')[0] ?? '',
        params,
        status: res.statusCode,
        at: Date.now(),
      });
    });
    next();
  });
  router.use(twilioBasicAuth(deps));
  router.use((_req, res, next) => {
    const failure = deps.takeFailure();
    if (failure === undefined) {
      next();
      return;
    }
    sendTwilioError(res, failure, FAILURES[failure].code, FAILURES[failure].message);
  });
  router.use(messagesRouter(deps));
  router.use(callsRouter(deps));
  router.use((req, res) => {
    sendTwilioError(res, 404, 20404, `The requested resource ${req.originalUrl.split('?')[0]} was not found`);
  });
  return router;
}
