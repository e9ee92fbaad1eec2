import { type Db, lockMessageSids, twilioSidPattern } from '@series-killer/shared';
import { sql } from 'kysely';

/** An erasure's record, as the steps read it. */
export interface ErasureRecord {
  id: number;
  userId: string;
  redactAtTwilio: boolean;
  removed: Record<string, number>;
  completedAt: Date | null;
}

/** Only SIDs Twilio issued can be redacted there. */
const TWILIO_MESSAGE_SID = twilioSidPattern('SM', 'MM');

const COLUMNS = ['id', 'erased_user_id', 'redact_at_twilio', 'removed', 'completed_at'] as const;

function toRecord(row: {
  id: number;
  erased_user_id: string;
  redact_at_twilio: boolean;
  removed: unknown;
  completed_at: Date | null;
}): ErasureRecord {
  return {
    id: row.id,
    userId: row.erased_user_id,
    redactAtTwilio: row.redact_at_twilio,
    removed: row.removed as Record<string, number>,
    completedAt: row.completed_at,
  };
}

export async function findErasure(db: Db, userId: string): Promise<ErasureRecord | undefined> {
  const row = await db
    .selectFrom('user_erasures')
    .select(COLUMNS)
    .where('erased_user_id', '=', userId)
    .executeTakeFirst();
  return row ? toRecord(row) : undefined;
}

export async function authUserExists(db: Db, userId: string): Promise<boolean> {
  const row = await db.selectFrom('auth.users').select('id').where('id', '=', userId).executeTakeFirst();
  return row !== undefined;
}

/**
 * The erasure of a user, recorded on first request; a rerun gets the same record (asking
 * for Twilio redaction on a rerun adds it).
 */
export async function upsertErasure(db: Db, userId: string, redactAtTwilio: boolean): Promise<ErasureRecord> {
  const row = await db
    .insertInto('user_erasures')
    .values({ erased_user_id: userId, redact_at_twilio: redactAtTwilio })
    .onConflict((oc) =>
      oc.column('erased_user_id').doUpdateSet({
        redact_at_twilio: sql<boolean>`user_erasures.redact_at_twilio or excluded.redact_at_twilio`,
      }),
    )
    .returning(COLUMNS)
    .executeTakeFirstOrThrow();
  return toRecord(row);
}

/** Locks the record until the transaction ends, so two erasures of one user run one after the other. */
export async function lockErasure(db: Db, erasureId: number): Promise<ErasureRecord> {
  const row = await db
    .selectFrom('user_erasures')
    .select(COLUMNS)
    .where('id', '=', erasureId)
    .forUpdate()
    .executeTakeFirstOrThrow();
  return toRecord(row);
}

/**
 * Takes the user's rows in the order the writers that touch them take theirs, so each runs
 * wholly before or after the erasure: the SID locks of their messages, then their delivery
 * records (as a send recording its SID or a status callback does), then their profile (what an
 * onboarding step locks before it adds messages). A step holding the profile finishes first and
 * its rows are erased with the rest; one that comes after finds no profile and does nothing.
 */
export async function lockUserRows(db: Db, userId: string, messageSids: readonly string[]): Promise<void> {
  await lockMessageSids(db, messageSids);
  await db.selectFrom('sms_deliveries').select('id').where('user_id', '=', userId).orderBy('id').forUpdate().execute();
  await db.selectFrom('user_profiles').select('user_id').where('user_id', '=', userId).forUpdate().execute();
}

/**
 * Records the SIDs of the user's messages and calls, so an event of theirs that arrives after
 * the erasure (a carrier's late status, a job that was already running) is refused, not stored.
 */
export async function recordErasedSids(db: Db, erasureId: number, sids: readonly string[]): Promise<void> {
  if (sids.length === 0) return;
  await db
    .insertInto('erased_sids')
    .values([...new Set(sids)].map((sid) => ({ sid, erasure_id: erasureId })))
    .onConflict((oc) => oc.column('sid').doNothing())
    .execute();
}

/** The SIDs recorded for an erasure. */
export async function listErasedSids(db: Db, erasureId: number): Promise<string[]> {
  const rows = await db.selectFrom('erased_sids').select('sid').where('erasure_id', '=', erasureId).execute();
  return rows.map((row) => row.sid);
}

/** Adds this run's counts to the record's and marks the rows erased. */
export async function recordRowsErased(db: Db, erasure: ErasureRecord, removed: Record<string, number>): Promise<void> {
  const total = { ...erasure.removed };
  for (const [table, n] of Object.entries(removed)) total[table] = (total[table] ?? 0) + n;
  await db
    .updateTable('user_erasures')
    .set({ removed: JSON.stringify(total), rows_erased_at: sql<Date>`now()` })
    .where('id', '=', erasure.id)
    .execute();
}

export async function recordCompleted(db: Db, erasureId: number): Promise<Date> {
  const row = await db
    .updateTable('user_erasures')
    .set({
      auth_user_deleted_at: sql<Date>`coalesce(auth_user_deleted_at, now())`,
      completed_at: sql<Date>`coalesce(completed_at, now())`,
    })
    .where('id', '=', erasureId)
    .returning('completed_at')
    .executeTakeFirstOrThrow();
  return row.completed_at as Date;
}

/** Records the user's messages for redaction at Twilio, before the rows naming them go. */
export async function recordRedactions(db: Db, erasureId: number, messageSids: string[]): Promise<void> {
  const twilioSids = messageSids.filter((sid) => TWILIO_MESSAGE_SID.test(sid));
  if (twilioSids.length === 0) return;
  await db
    .insertInto('twilio_redactions')
    .values(twilioSids.map((messageSid) => ({ message_sid: messageSid, erasure_id: erasureId })))
    .onConflict((oc) => oc.column('message_sid').doNothing())
    .execute();
}

/** One message's redaction at Twilio, as the erasure reports it. */
export interface RedactionState {
  messageSid: string;
  status: string;
  error: string | null;
}

/** Every redaction of an erasure, in SID order. */
export async function listRedactionStates(db: Db, erasureId: number): Promise<RedactionState[]> {
  const rows = await db
    .selectFrom('twilio_redactions')
    .select(['message_sid', 'status', 'error'])
    .where('erasure_id', '=', erasureId)
    .orderBy('message_sid')
    .execute();
  return rows.map((row) => ({ messageSid: row.message_sid, status: row.status, error: row.error }));
}
