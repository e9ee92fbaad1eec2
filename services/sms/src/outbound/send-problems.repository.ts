import type { Db } from '@series-killer/shared';

/**
 * Notes on a still-pending onboarding message why it has not gone out (a sender configuration
 * fault, or retries exhausted while Twilio was down), so the row says what it waits for. The
 * status stays `pending`: the message is not at fault and is sent once the cause is gone.
 */
export async function noteSendProblem(db: Db, onboardingMessageId: number, reason: string): Promise<void> {
  await db
    .updateTable('onboarding_messages')
    .set({ error_message: reason })
    .where('id', '=', onboardingMessageId)
    .where((eb) => eb(eb.fn.coalesce('status', eb.val('pending')), '=', 'pending'))
    .execute();
}
