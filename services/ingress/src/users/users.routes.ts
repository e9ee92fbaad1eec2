import type { Db, Logger, Queues } from '@series-killer/shared';
import { prepareJob } from '@series-killer/shared';
import express, { Router } from 'express';
import { z } from 'zod';
import type { JobBatcher } from '../enqueue/job-batcher.ts';
import { enqueueRedaction } from '../erasure/enqueue-redaction.ts';
import { eraseUser } from '../erasure/erase-user.ts';
import { UnknownUserError } from '../erasure/erasure-errors.ts';
import { HttpError } from '../http/http-errors.ts';
import { parseRequest } from '../http/parse-request.ts';
import { refuseNulCharacters } from '../http/refuse-nul-characters.ts';
import { requireBearerToken } from '../internal-api/require-bearer-token.ts';
import type { AuthUsers } from './auth-users.ts';
import { createUser } from './create-user.ts';
import { newUserSchema } from './new-user.ts';
import { UserConflictError } from './user-errors.ts';
import { userProfilesHookJob } from './user-profiles-hook.ts';

export interface UserRoutesOptions {
  db: Db;
  authUsers: AuthUsers;
  batcher: JobBatcher;
  /** Where an erasure cancels the user's queued jobs. */
  queues: Queues;
  logger: Logger;
  internalApiToken?: string;
}

/** Largest JSON body of the internal API, in bytes. */
const JSON_BODY_LIMIT_BYTES = 16 * 1024;

const erasureRequest = z.object({
  userId: z.uuid('must be a UUID'),
  redactAtTwilio: z.enum(['1', '0', 'true', 'false'], 'must be 1, 0, true or false').optional(),
});

/** `POST /api/users`, `DELETE /api/users/:userId` and `POST /hooks/user-profiles`, behind the internal bearer token. */
export function userRoutes(options: UserRoutesOptions): Router {
  const router = Router();
  const guard = [
    requireBearerToken(options.internalApiToken),
    express.json({ limit: JSON_BODY_LIMIT_BYTES }),
    refuseNulCharacters,
  ];

  router.post('/api/users', ...guard, async (req, res) => {
    const user = parseRequest(newUserSchema, req.body ?? {});
    const { userId } = await createUser(options.db, options.authUsers, user).catch((error: unknown) => {
      if (error instanceof UserConflictError) throw new HttpError(409, error.message, { field: error.field });
      throw error;
    });
    try {
      await options.batcher.enqueue(prepareJob('start-onboarding', { userId, trigger: 'api' }));
    } catch (error) {
      // The user exists; the periodic sweep starts any pending profile nobody started.
      options.logger.warn({ err: error, userId }, 'onboarding not enqueued; the sweep will start it');
    }
    res.status(201).json({ userId });
  });

  router.delete('/api/users/:userId', ...guard, async (req, res) => {
    const request = parseRequest(erasureRequest, { ...req.query, userId: req.params.userId });
    const redactAtTwilio = request.redactAtTwilio === '1' || request.redactAtTwilio === 'true';
    const report = await eraseUser(options, { userId: request.userId }, { redactAtTwilio }).catch((error: unknown) => {
      if (error instanceof UnknownUserError) throw new HttpError(404, error.message);
      throw error;
    });
    const redactionJobId =
      report.redactionsPending > 0 ? await enqueueRedaction(options.queues, report.erasureId) : undefined;
    res.status(202).json({ ...report, redactionJobId });
  });

  router.post('/hooks/user-profiles', ...guard, async (req, res) => {
    const job = userProfilesHookJob(req.body ?? {});
    if (!job) {
      res.status(202).json({ ignored: true });
      return;
    }
    const jobId = await options.batcher.enqueue(job);
    res.status(202).json({ jobId });
  });

  return router;
}
