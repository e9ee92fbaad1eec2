import type { Db, SmsStatus } from '@series-killer/shared';
import { sql } from 'kysely';
import { describeTwilioError } from '../twilio-errors/twilio-error-codes.ts';
import { messageStatusFor } from './message-status.ts';
import { type MessageTransition, moveOnboardingMessage } from './onboarding-messages.repository.ts';

/** Advisory-lock class of message SIDs (the other key is the SID's hash). */
const MESSAGE_SID_LOCK_CLASS = 7135;

/**
 * Serialises, until the transaction ends, every transaction that records a message or one of
 * its status events, so an event kept as an orphan and the send that would claim it can never
 * pass each other unseen.
 */
export async function lockMessageSid(db: Db, messageSid: string): Promise<void> {
  await sql`select pg_advisory_xact_lock(${MESSAGE_SID_LOCK_CLASS}, hashtext(${messageSid}))`.execute(db);
}

/** One status callback as it is logged. */
export interface StatusEvent {
  messageSid: string;
  status: SmsStatus;
  errorCode: number | null;
  raw: Record<string, string>;
  receivedAt: Date;
}

/**
 * Appends an event to the log; a replay of the same (SID, status, error code) finds its row
 * already there. Returns whether a row was added.
 */
export async function insertStatusEvent(
  db: Db,
  event: StatusEvent,
  placement: { userId: string | null; orphaned: boolean },
): Promise<boolean> {
  const inserted = await db
    .insertInto('sms_status_events')
    .values({
      message_sid: event.messageSid,
      user_id: placement.userId,
      status: event.status,
      error_code: event.errorCode,
      raw_payload: event.raw,
      received_at: event.receivedAt,
      orphaned_at: placement.orphaned ? sql<Date>`now()` : null,
    })
    .onConflict((oc) => oc.constraint('sms_status_events_event_key').doNothing())
    .returning('id')
    .executeTakeFirst();
  return inserted !== undefined;
}

/**
 * Logs a callback of a recorded outbound message and reads the message's user, in one
 * statement. Returns undefined, logging nothing, when no outbound message has that SID yet.
 */
export async function logEventOfRecordedMessage(
  db: Db,
  event: StatusEvent,
): Promise<{ userId: string | null } | undefined> {
  const row = await db
    .with('message', (qb) =>
      qb
        .selectFrom('sms_history')
        .select('user_id')
        .where('message_sid', '=', event.messageSid)
        .where('direction', '=', 'outbound'),
    )
    .with('logged', (qb) =>
      qb
        .insertInto('sms_status_events')
        .columns(['message_sid', 'user_id', 'status', 'error_code', 'raw_payload', 'received_at'])
        .expression((eb) =>
          eb
            .selectFrom('message')
            // INSERT … SELECT takes no types from its target: each value is cast to its column's.
            .select([
              sql<string>`${event.messageSid}::text`.as('message_sid'),
              'message.user_id',
              sql<string>`${event.status}::text`.as('status'),
              sql<number | null>`${event.errorCode}::integer`.as('error_code'),
              sql<string>`${JSON.stringify(event.raw)}::jsonb`.as('raw_payload'),
              sql<Date>`${event.receivedAt}::timestamptz`.as('received_at'),
            ]),
        )
        .onConflict((oc) => oc.constraint('sms_status_events_event_key').doNothing()),
    )
    .selectFrom('message')
    .select('user_id')
    .executeTakeFirst();
  return row ? { userId: row.user_id } : undefined;
}

/**
 * Applies every not-yet-applied event of a message to its current status, in arrival order
 * (the order does not change the outcome: each move is forward only), and marks them applied.
 * Called when a callback arrives for a known message, and by the send, which claims any
 * events that arrived before it committed.
 */
export async function applyPendingStatusEvents(
  db: Db,
  messageSid: string,
  userId: string | null,
): Promise<MessageTransition[]> {
  // One statement claims (locks until commit) and marks the pending events; should a move
  // below fail, the transaction rolls the marks back with it.
  const claimed = await db
    .updateTable('sms_status_events')
    .set({ applied_at: sql<Date>`now()`, user_id: sql<string | null>`coalesce(user_id, ${userId})` })
    .where('message_sid', '=', messageSid)
    .where('applied_at', 'is', null)
    .returning(['id', 'status', 'error_code', 'received_at'])
    .execute();
  const events = claimed.sort((a, b) => a.id - b.id);

  const transitions: MessageTransition[] = [];
  for (const event of events) {
    const to = messageStatusFor(event.status as SmsStatus);
    if (!to) continue;
    const transition = await moveOnboardingMessage(db, { messageSid }, to, {
      at: event.received_at,
      errorMessage: to === 'failed' ? failureText(event.status, event.error_code) : undefined,
    });
    if (transition) transitions.push(transition);
  }
  return transitions;
}

/** The error text of a failed message: "<code>: <meaning>", or the bare status without a code. */
function failureText(status: string, errorCode: number | null): string {
  return errorCode === null ? status : describeTwilioError(errorCode);
}
