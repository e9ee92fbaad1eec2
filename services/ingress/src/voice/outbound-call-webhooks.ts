import {
  type Db,
  type Logger,
  OUTBOUND_CALL_PATHS,
  OUTBOUND_CALL_QUERY,
  outboundStatusOf,
  type PreparedJob,
  prepareJob,
  withTimeout,
} from '@series-killer/shared';
import { Router } from 'express';
import { z } from 'zod';
import type { JobBatcher } from '../enqueue/job-batcher.ts';
import { parseRequest } from '../http/parse-request.ts';
import { type AnsweredOutboundCall, findAnsweredOutboundCall } from './outbound-call.repository.ts';
import { outboundCallTwiml } from './outbound-call-twiml.ts';
import { callStatusJob } from './voice-webhooks.ts';

export interface OutboundCallWebhookOptions {
  db: Db;
  batcher: JobBatcher;
  logger: Logger;
  publicBaseUrl: string;
  callbackOverrides: string;
  /** The voice bot's WebSocket URL (an external bot's, else ours); unset: no bot. */
  relayUrl?: string;
  /** Milliseconds the call's lookup may take before a generic greeting is used. Default 300. */
  lookupTimeoutMs?: number;
}

const outboundQuery = z.object({ [OUTBOUND_CALL_QUERY]: z.uuid('must be a UUID') });
const answeredByParams = z.object({ AnsweredBy: z.string().max(32).optional() });

function outboundCallIdOf(query: unknown): string {
  return parseRequest(outboundQuery, query)[OUTBOUND_CALL_QUERY];
}

/** The jobs of an outbound call's status callback: the call's history, and what it means for the outbound call. */
export function outboundStatusJobs(outboundCallId: string, params: unknown, receivedAt: string): PreparedJob[] {
  const status = callStatusJob(params, receivedAt);
  const { AnsweredBy } = parseRequest(answeredByParams, params);
  const answeredBy = AnsweredBy ?? null;
  if (!outboundStatusOf(status.data.callStatus, answeredBy)) return [status];
  const outcome = prepareJob('outbound-call-outcome', {
    outboundCallId,
    callSid: status.data.callSid,
    callStatus: status.data.callStatus,
    answeredBy,
  });
  return [status, outcome];
}

async function lookUpCall(options: OutboundCallWebhookOptions, id: string): Promise<AnsweredOutboundCall | undefined> {
  const timeoutMs = options.lookupTimeoutMs ?? 300;
  const lookup = findAnsweredOutboundCall(options.db, id).catch((error: unknown) => {
    options.logger.warn({ err: error }, 'outbound call lookup failed; generic greeting');
    return undefined;
  });
  return withTimeout(lookup, timeoutMs, () => {
    options.logger.warn({ timeoutMs }, 'outbound call lookup timed out; generic greeting');
    return undefined;
  });
}

/** The TwiML request and status callbacks of the calls we place, behind the Twilio webhook gate. */
export function outboundCallWebhookRoutes(options: OutboundCallWebhookOptions): Router {
  const router = Router();

  router.post(OUTBOUND_CALL_PATHS.twiml, async (req, res) => {
    const id = outboundCallIdOf(req.query);
    const { AnsweredBy } = parseRequest(answeredByParams, req.body);
    const call = await lookUpCall(options, id);
    res.type('text/xml').send(outboundCallTwiml({ ...options, call, answeredBy: AnsweredBy }));
  });

  router.post(OUTBOUND_CALL_PATHS.status, async (req, res) => {
    const jobs = outboundStatusJobs(outboundCallIdOf(req.query), req.body, new Date().toISOString());
    await Promise.all(jobs.map((job) => options.batcher.enqueue(job)));
    res.status(204).end();
  });

  return router;
}
