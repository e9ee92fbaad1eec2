import type { TwilioClient } from '@series-killer/shared/twilio';
import { callTwilio } from '../twilio-errors/twilio-request-error.ts';

/** The product's narrow view of redaction at the carrier. */
export interface MessageRedactor {
  /** Empties the body Twilio keeps of a message; throws a TwilioRequestError (HTTP status, Twilio code) when refused. */
  redact(messageSid: string): Promise<void>;
}

/** Redaction through Twilio's Messages API: an update with an empty Body is how Twilio redacts. */
export function createTwilioMessageRedactor(client: TwilioClient): MessageRedactor {
  return {
    async redact(messageSid) {
      await callTwilio('message redact', () => client.messages(messageSid).update({ body: '' }));
    },
  };
}
