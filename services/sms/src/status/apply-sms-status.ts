import type { Db } from '@series-killer/shared';
import type { MessageTransition } from './onboarding-messages.repository.ts';
import {
  applyPendingStatusEvents,
  insertStatusEvent,
  lockMessageSid,
  logEventOfRecordedMessage,
  type StatusEvent,
} from './sms-status-events.repository.ts';

/** A status callback arrived before the outbound message it names was recorded. */
export class MessageNotRecordedError extends Error {
  constructor(messageSid: string) {
    super(`no outbound message ${messageSid} recorded yet; its send may not have committed`);
    this.name = 'MessageNotRecordedError';
  }
}

export type ApplyStatusResult =
  | { outcome: 'applied'; transitions: MessageTransition[] }
  | { outcome: 'orphaned'; newlyOrphaned: boolean };

/**
 * Logs one status callback and moves the message's current status forward, in one
 * transaction. While the message is not recorded yet the callback is retried
 * (MessageNotRecordedError); on the last attempt (`lastAttempt`) it is kept as an orphan
 * event instead, which the send applies when it records the message.
 */
export async function applySmsStatus(
  db: Db,
  event: StatusEvent,
  { lastAttempt }: { lastAttempt: boolean },
): Promise<ApplyStatusResult> {
  return db.transaction().execute(async (trx) => {
    await lockMessageSid(trx, event.messageSid);
    const message = await logEventOfRecordedMessage(trx, event);
    if (!message) {
      if (!lastAttempt) throw new MessageNotRecordedError(event.messageSid);
      const newlyOrphaned = await insertStatusEvent(trx, event, { userId: null, orphaned: true });
      return { outcome: 'orphaned', newlyOrphaned };
    }
    const transitions = await applyPendingStatusEvents(trx, event.messageSid, message.userId);
    return { outcome: 'applied', transitions };
  });
}
