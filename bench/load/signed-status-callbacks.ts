import { randomBytes } from 'node:crypto';
import twilio from 'twilio';

export interface SignedRequest {
  body: string;
  signature: string;
  messageSid: string;
}

/** A fresh seed for `benchMessageSid`: 8 hex digits. */
export function newSidSeed(): string {
  return randomBytes(4).toString('hex');
}

/**
 * The `index`-th Message SID of a run: benchmarks pre-insert the rows of these SIDs and the
 * load generator derives the same SIDs from the seed, so no list has to cross a process boundary.
 */
export function benchMessageSid(seed: string, index: number): string {
  return `SM${seed}${index.toString(16).padStart(24, '0')}`;
}

/** Twilio-shaped, correctly signed SMS status callbacks, each for a distinct MessageSid. */
export function signedStatusCallbacks(
  count: number,
  options: { authToken: string; url: string; sids?: string[]; sidSeed?: string; firstIndex?: number; status?: string },
): SignedRequest[] {
  const first = options.firstIndex ?? 0;
  const requests: SignedRequest[] = [];
  const accountSid = `AC${'0'.repeat(32)}`;
  for (let i = 0; i < count; i += 1) {
    const messageSid =
      options.sids?.[i % options.sids.length] ??
      (options.sidSeed ? benchMessageSid(options.sidSeed, first + i) : `SM${randomBytes(16).toString('hex')}`);
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
