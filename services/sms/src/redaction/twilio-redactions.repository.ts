import type { Db } from '@series-killer/shared';
import { sql } from 'kysely';

export type RedactionStatus = 'pending' | 'redacted' | 'not-found' | 'failed';

/** One message of an erasure and what became of its redaction. */
export interface Redaction {
  messageSid: string;
  status: RedactionStatus;
  /** Twilio's refusal of a failed redaction: "<code>: <message>". */
  error: string | null;
}

export async function findPendingRedactions(db: Db, erasureId: number): Promise<string[]> {
  const rows = await db
    .selectFrom('twilio_redactions')
    .select('message_sid')
    .where('erasure_id', '=', erasureId)
    .where('status', '=', 'pending')
    .orderBy('message_sid')
    .execute();
  return rows.map((row) => row.message_sid);
}

/** Records one attempt's outcome; a redaction that is no longer pending stays as it is. */
export async function recordRedactionAttempt(
  db: Db,
  messageSid: string,
  outcome: { status: RedactionStatus; error?: string },
): Promise<void> {
  await db
    .updateTable('twilio_redactions')
    .set({
      status: outcome.status,
      error: outcome.error ?? null,
      attempts: sql<number>`attempts + 1`,
      redacted_at: outcome.status === 'redacted' ? sql<Date>`now()` : null,
    })
    .where('message_sid', '=', messageSid)
    .where('status', '=', 'pending')
    .execute();
}
