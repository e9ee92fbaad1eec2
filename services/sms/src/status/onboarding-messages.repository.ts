import type { Db } from '@series-killer/shared';
import { sql } from 'kysely';
import { type MessageStatus, rankOf, statusRank } from './message-status.ts';

/** A forward move of one onboarding message's status. */
export interface MessageTransition {
  onboardingMessageId: number;
  userId: string;
  messageType: string;
  from: MessageStatus;
  to: MessageStatus;
}

/** Which onboarding message to move: by id (the send) or by Twilio SID (a status callback). */
export type MessageMatch = { id: number } | { messageSid: string };

/** Columns a move may set beside the status itself. */
export interface MoveDetails {
  messageSid?: string;
  errorMessage?: string;
  /** When the move happened (delivered_at, sent_at); default now(). */
  at?: Date;
}

/** Message types whose failure fails the whole onboarding. */
const ONBOARDING_CRITICAL_TYPES = new Set(['welcome', 'verification']);

/**
 * Moves an onboarding message to `to` only when that is forward (pending < sent < delivered
 * < failed), decided in SQL under the row lock. Sets `sent_at` and `delivered_at` once and
 * the error text on failure, then the profile: `sms_sent` when the welcome is sent, `failed`
 * when the welcome or verification fails. Returns the move, or undefined when there was none.
 */
export async function moveOnboardingMessage(
  db: Db,
  match: MessageMatch,
  to: MessageStatus,
  details: MoveDetails = {},
): Promise<MessageTransition | undefined> {
  const at = details.at ?? sql<Date>`now()`;
  const moved = await db
    .with('before', (qb) =>
      qb
        .selectFrom('onboarding_messages')
        .select(['id', 'status'])
        .where((eb) => ('id' in match ? eb('id', '=', match.id) : eb('message_sid', '=', match.messageSid)))
        .forUpdate(),
    )
    .updateTable('onboarding_messages')
    .from('before')
    .set({
      status: to,
      message_sid: details.messageSid,
      sent_at: to === 'sent' ? sql<Date>`coalesce(onboarding_messages.sent_at, ${at})` : undefined,
      delivered_at: to === 'delivered' ? sql<Date>`coalesce(onboarding_messages.delivered_at, ${at})` : undefined,
      error_message: to === 'failed' ? details.errorMessage : undefined,
    })
    .whereRef('onboarding_messages.id', '=', 'before.id')
    .where(statusRank('before.status'), '<', rankOf(to))
    .returning([
      'onboarding_messages.id',
      'onboarding_messages.user_id',
      'onboarding_messages.message_type',
      sql<string | null>`before.status`.as('previous_status'),
    ])
    .executeTakeFirst();
  if (!moved) return undefined;

  const transition: MessageTransition = {
    onboardingMessageId: moved.id,
    userId: moved.user_id,
    messageType: moved.message_type,
    from: (moved.previous_status ?? 'pending') as MessageStatus,
    to,
  };
  await moveProfileAfter(db, transition);
  return transition;
}

/** The profile transitions that follow from a message: forward only, in SQL. */
async function moveProfileAfter(db: Db, transition: MessageTransition): Promise<void> {
  if (transition.to === 'sent' && transition.messageType === 'welcome') {
    await db
      .updateTable('user_profiles')
      .set({ onboarding_status: 'sms_sent', onboarding_sent_at: sql<Date>`now()` })
      .where('user_id', '=', transition.userId)
      .where('onboarding_status', '=', 'pending')
      .execute();
    return;
  }
  if (transition.to === 'failed' && ONBOARDING_CRITICAL_TYPES.has(transition.messageType)) {
    await db
      .updateTable('user_profiles')
      .set({ onboarding_status: 'failed' })
      .where('user_id', '=', transition.userId)
      .where('onboarding_status', 'in', ['pending', 'sms_sent'])
      .execute();
  }
}
