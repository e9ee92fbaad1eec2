import type { Db } from '@series-killer/shared';
import { type OptChoice, recordOptChoice } from '../opt-outs/sms-opt-outs.repository.ts';
import { type MessageTransition, moveOnboardingMessage } from '../status/onboarding-messages.repository.ts';
import { applyPendingStatusEvents, lockMessageSid } from '../status/sms-status-events.repository.ts';

/** A message Twilio accepted, as it is recorded. */
export interface SentMessage {
  messageSid: string;
  to: string;
  userId: string | null;
  /** What history keeps of the body (never a verification code). */
  content: string;
  onboardingMessageId?: number;
}

/**
 * Records an accepted message in one transaction: the outbound history row, the onboarding
 * message `sent` (and the profile `sms_sent` for the welcome), then any status callbacks
 * that arrived before this commit. Safe to repeat.
 */
export async function recordSentMessage(db: Db, sent: SentMessage): Promise<MessageTransition[]> {
  return db.transaction().execute(async (trx) => {
    await lockMessageSid(trx, sent.messageSid);
    await trx
      .insertInto('sms_history')
      .values({
        message_sid: sent.messageSid,
        user_id: sent.userId,
        phone_number: sent.to,
        direction: 'outbound',
        content: sent.content,
      })
      .onConflict((oc) => oc.column('message_sid').doNothing())
      .execute();
    const transitions: MessageTransition[] = [];
    if (sent.onboardingMessageId !== undefined) {
      const moved = await moveOnboardingMessage(trx, { id: sent.onboardingMessageId }, 'sent', {
        messageSid: sent.messageSid,
      });
      if (moved) transitions.push(moved);
    }
    transitions.push(...(await applyPendingStatusEvents(trx, sent.messageSid, sent.userId)));
    return transitions;
  });
}

/** A send that can never succeed, and what follows from it. */
export interface FailedSend {
  onboardingMessageId?: number;
  /** "<code>: <meaning>", or why the send was refused. */
  errorMessage: string;
  /** The opt-out Twilio reported (21610), recorded with the failure. */
  optOut?: OptChoice;
}

/** Records a failed send in one transaction: the opt-out if any, the onboarding message `failed`. */
export async function recordFailedSend(db: Db, failure: FailedSend): Promise<MessageTransition | undefined> {
  return db.transaction().execute(async (trx) => {
    if (failure.optOut) await recordOptChoice(trx, failure.optOut);
    if (failure.onboardingMessageId === undefined) return undefined;
    return moveOnboardingMessage(trx, { id: failure.onboardingMessageId }, 'failed', {
      errorMessage: failure.errorMessage,
    });
  });
}

/** The current status of an onboarding message, or undefined when there is no such row. */
export async function findOnboardingMessageStatus(db: Db, id: number): Promise<string | undefined> {
  const row = await db.selectFrom('onboarding_messages').select(['status']).where('id', '=', id).executeTakeFirst();
  return row ? (row.status ?? 'pending') : undefined;
}

/** Of these SIDs, the ones no history row claims yet. */
export async function unrecordedMessageSids(db: Db, messageSids: string[]): Promise<string[]> {
  if (messageSids.length === 0) return [];
  const recorded = await db
    .selectFrom('sms_history')
    .select(['message_sid'])
    .where('message_sid', 'in', messageSids)
    .execute();
  const claimed = new Set(recorded.map((row) => row.message_sid));
  return messageSids.filter((sid) => !claimed.has(sid));
}
