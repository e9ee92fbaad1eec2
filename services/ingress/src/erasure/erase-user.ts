import type { Db, Logger, Queues } from '@series-killer/shared';
import type { AuthUsers } from '../users/auth-users.ts';
import { cancelUserJobs, type JobOwner, sweepUntilEnded } from './cancel-user-jobs.ts';
import { UnknownUserError } from './erasure-errors.ts';
import { ERASURE_STEPS, type ErasureStep } from './erasure-steps.ts';
import { type ErasureTarget, findErasureSubject, resolveTarget } from './erasure-subject.ts';
import {
  authUserExists,
  type ErasureRecord,
  findErasure,
  listErasedSids,
  listRedactionStates,
  lockErasure,
  lockUserRows,
  type RedactionState,
  recordCompleted,
  recordErasedSids,
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
  /** How long to wait for the user's jobs a worker is running to end, to remove them. Milliseconds; default 10 s. */
  runningJobsWaitMs?: number;
}

const RUNNING_JOBS_WAIT_MS = 10_000;

/** What one run of an erasure did; a rerun of a finished erasure reports zeros. */
export interface ErasureReport {
  userId: string;
  erasureId: number;
  /** Rows this run removed, per table. */
  removed: Record<string, number>;
  /** Jobs of the user this run removed from the queues, in any state. */
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
 * Erases a user everywhere: records the erasure, removes the user's jobs, removes every row of
 * theirs in one transaction (ERASURE_STEPS' order), removes the jobs that steps in flight added
 * meanwhile and, once they end, those that were running, removes what those wrote, then deletes
 * the auth user. Each step is safe to repeat, so a run that crashed half-way is finished by
 * running it again, and a run after the end changes nothing. Throws UnknownUserError when no
 * user, and no erasure, has the id.
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

  const subject = await findErasureSubject(deps.db, userId);
  const owner: JobOwner = { ...subject, sids: [...subject.messageSids, ...subject.callSids] };
  const queued = await cancelUserJobs(deps.queues, owner);
  await recordErasedSids(deps.db, erasure.id, queued.sids);
  const steps = options.steps ?? ERASURE_STEPS;
  const removed = await eraseUserRows(deps.db, erasure.id, steps);
  const late = await sweepUntilEnded(
    deps.queues,
    { ...owner, sids: await listErasedSids(deps.db, erasure.id) },
    options.runningJobsWaitMs ?? RUNNING_JOBS_WAIT_MS,
  );
  if (late.running > 0) log.warn({ running: late.running }, 'jobs of the erased user still running');
  // What the jobs that were running wrote before they ended.
  for (const [table, n] of Object.entries(await eraseUserRows(deps.db, erasure.id, steps)))
    removed[table] = (removed[table] ?? 0) + n;
  const authUser = await deps.authUsers.remove(userId);
  const jobsCancelled = queued.cancelled + late.cancelled;
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
 * Removes every row of the user in one transaction, under the erasure's row lock and the locks
 * of the user's rows (taken first, see lockUserRows); the messages to redact at Twilio and the
 * SIDs to refuse later are recorded in the same transaction, before the rows naming them go.
 */
export async function eraseUserRows(
  db: Db,
  erasureId: number,
  steps: readonly ErasureStep[] = ERASURE_STEPS,
): Promise<Record<string, number>> {
  return db.transaction().execute(async (trx) => {
    const erasure = await lockErasure(trx, erasureId);
    await lockUserRows(trx, erasure.userId, (await findErasureSubject(trx, erasure.userId)).messageSids);
    // Read again under the locks: a step that held them may have added rows.
    const subject = await findErasureSubject(trx, erasure.userId);
    await recordErasedSids(trx, erasure.id, [...subject.messageSids, ...subject.callSids]);
    if (erasure.redactAtTwilio) await recordRedactions(trx, erasure.id, subject.messageSids);
    const removed: Record<string, number> = {};
    for (const step of steps) removed[step.table] = await step.erase(trx, subject);
    await recordRowsErased(trx, erasure, removed);
    return removed;
  });
}
