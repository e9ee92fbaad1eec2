import { randomBytes } from 'node:crypto';
import twilio from 'twilio';
import type { SignedRequest } from './signed-status-callbacks.ts';

const ACCOUNT_SID = `AC${'0'.repeat(32)}`;

function signed(authToken: string, url: string, sid: string, params: Record<string, string>): SignedRequest {
  return {
    body: new URLSearchParams(params).toString(),
    signature: twilio.getExpectedTwilioSignature(authToken, url, params),
    messageSid: sid,
  };
}

/** Twilio-shaped, signed inbound SMS webhooks (POST /twilio/sms), each a new message from one of 50 numbers. */
export function signedInboundSms(count: number, options: { authToken: string; url: string }): SignedRequest[] {
  return Array.from({ length: count }, (_, i) => {
    const messageSid = `SM${randomBytes(16).toString('hex')}`;
    return signed(options.authToken, options.url, messageSid, {
      AccountSid: ACCOUNT_SID,
      MessageSid: messageSid,
      From: `+1415700${String(1000 + (i % 50))}`,
      To: '+15005550006',
      Body: `Hello, this is message ${i}`,
      NumMedia: '0',
      NumSegments: '1',
    });
  });
}

/** Twilio-shaped, signed incoming-call webhooks (POST /twilio/voice), each a new call; `messageSid` holds the Call SID. */
export function signedIncomingCalls(count: number, options: { authToken: string; url: string }): SignedRequest[] {
  return Array.from({ length: count }, (_, i) => {
    const callSid = `CA${randomBytes(16).toString('hex')}`;
    return signed(options.authToken, options.url, callSid, {
      AccountSid: ACCOUNT_SID,
      CallSid: callSid,
      From: `+1415800${String(1000 + (i % 50))}`,
      To: '+15005550006',
      Direction: 'inbound',
      CallStatus: 'ringing',
    });
  });
}
