import type { Db, Logger, Queues } from '@series-killer/shared';
import type { AuthUsers } from '../users/auth-users.ts';
import { cancelUserJobs } from './cancel-user-jobs.ts';
import { UnknownUserError } from './erasure-errors.ts';
import { ERASURE_STEPS, type ErasureStep } from './erasure-steps.ts';
import { type ErasureTarget, findErasureSubject, resolveTarget } from './erasure-subject.ts';
import {
  authUserExists,
  type ErasureRecord,
  findErasure,
  listRedactionStates,
  lockErasure,
  type RedactionState,
  recordCompleted,
  recordRedactions,
  recordRowsErased,
  upsertErasure,
} from './user-erasures.repository.ts';

export interface EraseUserDeps {
  db: Db;
  queues: Queues;
  authUsers: AuthUsers;
  logger: Logger;
}

export interface EraseUserOptions {
  /** Also record the user's messages for redaction at Twilio. Default false. */
  redactAtTwilio?: boolean;
  /** The tables, in order. Default ERASURE_STEPS. */
  steps?: readonly ErasureStep[];
}

/** What one run of an erasure did; a rerun of a finished erasure reports zeros. */
export interface ErasureReport {
  userId: string;
  erasureId: number;
  /** Rows this run removed, per table. */
  removed: Record<string, number>;
  /** Queued jobs of the user this run removed. */
  jobsCancelled: number;
  /** Whether this run deleted the auth user, or found it gone. */
  authUser: 'deleted' | 'absent';
  /** Messages still to be redacted at Twilio (0 when redaction was not asked for). */
  redactionsPending: number;
  /** Each message's redaction at Twilio so far, when redaction was asked for. */
  redactions?: RedactionState[];
  completedAt: Date;
}

/**
 * Erases a user everywhere: records the erasure, cancels the user's queued jobs, removes every
 * row of theirs in one transaction (ERASURE_STEPS' order), then deletes the auth user. Each step
 * is safe to repeat, so a run that crashed half-way is finished by running it again, and a run
 * after the end changes nothing. Throws UnknownUserError when no user, and no erasure, has the id.
 */
export async function eraseUser(
  deps: EraseUserDeps,
  target: ErasureTarget,
  options: EraseUserOptions = {},
): Promise<ErasureReport> {
  const userId = await resolveTarget(deps.db, target);
  const describe = 'userId' in target ? target.userId : 'with that phone number';
  if (userId === undefined) throw new UnknownUserError(describe);
  const erasure = await beginErasure(deps.db, userId, options.redactAtTwilio ?? false, describe);
  const log = deps.logger.child({ userId, erasureId: erasure.id });

  const jobsCancelled = await cancelUserJobs(deps.queues, await findErasureSubject(deps.db, userId));
  const removed = await eraseUserRows(deps.db, erasure.id, options.steps ?? ERASURE_STEPS);
  const authUser = await deps.authUsers.remove(userId);
  const completedAt = await recordCompleted(deps.db, erasure.id);
  const redactions = await listRedactionStates(deps.db, erasure.id);
  const redactionsPending = redactions.filter((redaction) => redaction.status === 'pending').length;

  log.info({ removed, jobsCancelled, authUser, redactionsPending }, 'user erased');
  return {
    userId,
    erasureId: erasure.id,
    removed,
    jobsCancelled,
    authUser,
    redactionsPending,
    ...(erasure.redactAtTwilio ? { redactions } : {}),
    completedAt,
  };
}

/** The erasure's record: made on the first run while the auth user exists, found on a rerun. */
async function beginErasure(db: Db, userId: string, redactAtTwilio: boolean, describe: string): Promise<ErasureRecord> {
  const earlier = await findErasure(db, userId);
  if (!earlier && !(await authUserExists(db, userId))) throw new UnknownUserError(describe);
  if (earlier && (earlier.redactAtTwilio || !redactAtTwilio)) return earlier;
  return upsertErasure(db, userId, redactAtTwilio);
}

/**
 * Removes every row of the user in one transaction, under the erasure's row lock; the messages
 * to redact at Twilio are recorded in the same transaction, before the rows naming them go.
 */
export async function eraseUserRows(
  db: Db,
  erasureId: number,
  steps: readonly ErasureStep[] = ERASURE_STEPS,
): Promise<Record<string, number>> {
  return db.transaction().execute(async (trx) => {
    const erasure = await lockErasure(trx, erasureId);
    const subject = await findErasureSubject(trx, erasure.userId);
    if (erasure.redactAtTwilio) await recordRedactions(trx, erasure.id, subject.messageSids);
    const removed: Record<string, number> = {};
    for (const step of steps) removed[step.table] = await step.erase(trx, subject);
    await recordRowsErased(trx, erasure, removed);
    return removed;
  });
}
