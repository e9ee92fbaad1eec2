import {
  type CallingHours,
  cancelOutboundCall,
  type Db,
  findOutboundCall,
  jobIdFor,
  listOutboundCalls,
  type OutboundCallRow,
  prepareJob,
  type Queues,
} from '@series-killer/shared';
import express, { Router } from 'express';
import { z } from 'zod';
import type { JobBatcher } from '../enqueue/job-batcher.ts';
import { HttpError } from '../http/http-errors.ts';
import { parseRequest } from '../http/parse-request.ts';
import { refuseNulCharacters } from '../http/refuse-nul-characters.ts';
import { requireBearerToken } from '../internal-api/require-bearer-token.ts';
import { outboundCallRequestSchema } from './outbound-call-request.ts';
import { NotCallableError, requestOutboundCall, UnknownCalleeError } from './request-outbound-call.ts';

export interface OutboundCallRoutesOptions {
  db: Db;
  batcher: JobBatcher;
  /** Where a canceled call's waiting job is removed from. */
  queues: Queues;
  hours: CallingHours;
  defaultTimeZone: string;
  internalApiToken?: string;
}

/** Largest JSON body of `POST /api/calls`, in bytes. */
const JSON_BODY_LIMIT_BYTES = 4 * 1024;

/** Most calls `GET /api/calls` lists. */
const MAX_LISTED = 100;

const callId = z.object({ id: z.uuid('must be a UUID') });
const listQuery = z.object({ limit: z.coerce.number().int().min(1).max(MAX_LISTED).default(20) });

/** An outbound call as the API shows it: no phone number, the user's id instead. */
function callView(call: OutboundCallRow) {
  return {
    id: call.id,
    userId: call.user_id,
    status: call.status,
    attempt: call.attempt,
    purpose: call.purpose,
    notBefore: call.not_before.toISOString(),
    callSid: call.call_sid,
    answeredBy: call.answered_by,
    lastError: call.last_error,
    placedAt: call.placed_at?.toISOString() ?? null,
    finishedAt: call.finished_at?.toISOString() ?? null,
    createdAt: call.created_at.toISOString(),
  };
}

/** `POST/GET /api/calls`, `GET/DELETE /api/calls/:id`, behind the internal bearer token. */
export function outboundCallRoutes(options: OutboundCallRoutesOptions): Router {
  const router = Router();
  const guard = [requireBearerToken(options.internalApiToken), express.json({ limit: JSON_BODY_LIMIT_BYTES })];

  router.post('/api/calls', ...guard, refuseNulCharacters, async (req, res) => {
    const request = parseRequest(outboundCallRequestSchema, req.body ?? {});
    const now = new Date();
    const call = await requestOutboundCall({ ...options, now }, request).catch((error: unknown) => {
      if (error instanceof UnknownCalleeError) throw new HttpError(404, error.message);
      if (error instanceof NotCallableError) throw new HttpError(409, error.message);
      throw error;
    });
    // Again for a repeated request: its first enqueue may have failed after the row was written.
    if (call.status === 'scheduled') {
      const delay = Math.max(0, call.notBefore.getTime() - now.getTime());
      const job = prepareJob('place-call', { outboundCallId: call.id, attempt: call.attempt }, { delay });
      await options.batcher.enqueue(job).catch(async (error: unknown) => {
        // Without a key the client's retry is a new call: this one must not ring as well, should
        // its job have reached Redis after all. With a key the retry finds it and enqueues again.
        if (!request.idempotencyKey) await cancelOutboundCall(options.db, call.id, new Date());
        throw error;
      });
    }
    res.status(202).json({ id: call.id, status: call.status, notBefore: call.notBefore.toISOString() });
  });

  router.get('/api/calls', ...guard, async (req, res) => {
    const { limit } = parseRequest(listQuery, req.query);
    res.json({ calls: (await listOutboundCalls(options.db, limit)).map(callView) });
  });

  router.get('/api/calls/:id', ...guard, async (req, res) => {
    const { id } = parseRequest(callId, req.params);
    const call = await findOutboundCall(options.db, id);
    if (!call) throw new HttpError(404, 'no such call');
    res.json(callView(call));
  });

  router.delete('/api/calls/:id', ...guard, async (req, res) => {
    const { id } = parseRequest(callId, req.params);
    const canceled = await cancelOutboundCall(options.db, id, new Date());
    if (!canceled) {
      const call = await findOutboundCall(options.db, id);
      if (!call) throw new HttpError(404, 'no such call');
      throw new HttpError(409, `the call is ${call.status}: only a call not yet placed can be canceled`, {
        status: call.status,
      });
    }
    // The job would skip the canceled call anyway; removing it frees Redis now.
    const jobId = jobIdFor['place-call']({ outboundCallId: id, attempt: canceled.attempt });
    if (jobId) await options.queues['outbound-calls'].remove(jobId).catch(() => 0);
    res.status(204).end();
  });

  return router;
}
