import { randomBytes } from 'node:crypto';
import twilio from 'twilio';

export interface SignedRequest {
  body: string;
  signature: string;
  messageSid: string;
}

/** Twilio-shaped, correctly signed SMS status callbacks, each for a distinct MessageSid. */
export function signedStatusCallbacks(
  count: number,
  options: { authToken: string; url: string; sids?: string[]; status?: string },
): SignedRequest[] {
  const requests: SignedRequest[] = [];
  const accountSid = `AC${'0'.repeat(32)}`;
  for (let i = 0; i < count; i += 1) {
    const messageSid = options.sids?.[i % options.sids.length] ?? `SM${randomBytes(16).toString('hex')}`;
    const params: Record<string, string> = {
      AccountSid: accountSid,
      ApiVersion: '2010-04-01',
      From: '+15005550006',
      MessageSid: messageSid,
      MessageStatus: options.status ?? 'delivered',
      SmsSid: messageSid,
      SmsStatus: options.status ?? 'delivered',
      To: '+15551230000',
    };
    requests.push({
      body: new URLSearchParams(params).toString(),
      signature: twilio.getExpectedTwilioSignature(options.authToken, options.url, params),
      messageSid,
    });
  }
  return requests;
}
