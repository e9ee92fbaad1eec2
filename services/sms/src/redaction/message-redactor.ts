import type { TwilioClient } from '@series-killer/shared/twilio';

/** The product's narrow view of redaction at the carrier. */
export interface MessageRedactor {
  /** Empties the body Twilio keeps of a message; throws Twilio's refusal as the SDK reports it. */
  redact(messageSid: string): Promise<void>;
}

/** Redaction through Twilio's Messages API: an update with an empty Body is how Twilio redacts. */
export function createTwilioMessageRedactor(client: TwilioClient): MessageRedactor {
  return {
    async redact(messageSid) {
      await client.messages(messageSid).update({ body: '' });
    },
  };
}
