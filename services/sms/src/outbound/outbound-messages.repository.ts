import {
  failOnboardingMessage,
  type MessageTransition,
  projectDeliveries,
} from '@series-killer/onboarding/delivery-projection';
import { type Db, lockMessageSids } from '@series-killer/shared';
import { applyPendingEvents, recordFailedDelivery, recordMessageSid } from '../deliveries/sms-deliveries.repository.ts';
import { type OptChoice, recordOptChoice } from '../opt-outs/sms-opt-outs.repository.ts';
import { errorMeaningsOf } from '../status/apply-status-callbacks.ts';
import { pendingErrorCodes } from '../status/sms-status-events.repository.ts';

/** A message Twilio accepted for a claimed delivery. */
export interface AcceptedMessage {
  deliveryId: number;
  messageSid: string;
  to: string;
  userId: string | null;
  /** What history keeps of the body (never a verification code). */
  content: string;
  /** `SMS_RECONCILE_AFTER` in milliseconds: when to ask Twilio should no final callback come. */
  reconcileAfterMs: number;
}

/**
 * Records an accepted message in one transaction: the SID on its delivery record (refused,
 * returning undefined, when another record holds that SID), the outbound history row, every
 * status callback that arrived before this commit, and onboarding's projection (the message
 * `sent`, the profile `sms_sent` for the welcome). Safe to repeat.
 */
export async function recordAcceptedMessage(db: Db, sent: AcceptedMessage): Promise<MessageTransition[] | undefined> {
  return db.transaction().execute(async (trx) => {
    await lockMessageSids(trx, [sent.messageSid]);
    if (!(await recordMessageSid(trx, sent.deliveryId, sent.messageSid, sent.reconcileAfterMs))) return undefined;
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
    const waitingCodes = await pendingErrorCodes(trx, sent.messageSid);
    await applyPendingEvents(trx, [sent.messageSid], errorMeaningsOf(waitingCodes.map((errorCode) => ({ errorCode }))));
    return projectDeliveries(trx, [sent.messageSid]);
  });
}

/** A send that can never succeed, and what follows from it. */
export interface FailedSend {
  deliveryId?: number;
  onboardingMessageId?: number;
  errorCode: number | null;
  /** "<code>: <meaning>", or why the send was refused. */
  errorMessage: string;
  /** The opt-out Twilio reported (21610), recorded with the failure. */
  optOut?: OptChoice;
}

/** Records a failed send in one transaction: the opt-out if any, the delivery and onboarding message `failed`. */
export async function recordFailedSend(db: Db, failure: FailedSend): Promise<MessageTransition | undefined> {
  return db.transaction().execute(async (trx) => {
    if (failure.optOut) await recordOptChoice(trx, failure.optOut);
    if (failure.deliveryId !== undefined) await recordFailedDelivery(trx, failure.deliveryId, failure);
    if (failure.onboardingMessageId === undefined) return undefined;
    return failOnboardingMessage(trx, failure.onboardingMessageId, failure.errorMessage);
  });
}

/** The current status of an onboarding message, or undefined when there is no such row. */
export async function findOnboardingMessageStatus(db: Db, id: number): Promise<string | undefined> {
  const row = await db.selectFrom('onboarding_messages').select(['status']).where('id', '=', id).executeTakeFirst();
  return row ? (row.status ?? 'pending') : undefined;
}
