import type { TwilioClient } from '@series-killer/shared/twilio';
import { asTwilioApiError } from '../twilio-errors/twilio-api-error.ts';
import { callTwilio } from '../twilio-errors/twilio-request-error.ts';
import type { MessageStatusSource } from './reconcile-deliveries.ts';

/** Twilio could not tell us a message's status. */
export class MessageFetchError extends Error {
  constructor(messageSid: string, options?: ErrorOptions) {
    const answer = asTwilioApiError(options?.cause);
    super(`could not fetch message ${messageSid}${answer ? ` (HTTP ${answer.status})` : ''}`, options);
    this.name = 'MessageFetchError';
  }
}

/** The reconciler's view of Twilio: `messages(sid).fetch()` through the real SDK. */
export function createTwilioMessageStatusSource(client: TwilioClient): MessageStatusSource {
  return {
    async fetchStatus(messageSid) {
      try {
        const message = await callTwilio('message fetch', () => client.messages(messageSid).fetch());
        return { status: message.status, errorCode: message.errorCode ?? null };
      } catch (error) {
        throw new MessageFetchError(messageSid, { cause: error });
      }
    },
  };
}
