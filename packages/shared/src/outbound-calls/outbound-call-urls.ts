import { twilioCallbackUrl } from '../twilio/callback-url.ts';

/** The ingress's paths an outbound call's Twilio requests go to. */
export const OUTBOUND_CALL_PATHS = {
  /** The TwiML request once the call is answered (`AnsweredBy` with answering-machine detection). */
  twiml: '/twilio/voice/outbound',
  /** The call's status callbacks. */
  status: '/twilio/voice/outbound/status',
} as const;

/** The query parameter naming the outbound call in those URLs. */
export const OUTBOUND_CALL_QUERY = 'outboundCallId';

/** The `<Parameter>`s the voice service reads from an outbound call's `setup.customParameters`. */
export const OUTBOUND_CALL_PARAMETERS = { outboundCallId: 'outboundCallId', purpose: 'callPurpose' } as const;

/** The TwiML URL and the status callback URL (with the connection overrides) of an outbound call. */
export function outboundCallUrls(
  publicBaseUrl: string,
  callbackOverrides: string,
  outboundCallId: string,
): { twimlUrl: string; statusCallbackUrl: string } {
  const query = `?${OUTBOUND_CALL_QUERY}=${encodeURIComponent(outboundCallId)}`;
  return {
    twimlUrl: `${publicBaseUrl}${OUTBOUND_CALL_PATHS.twiml}${query}`,
    statusCallbackUrl: twilioCallbackUrl(publicBaseUrl, `${OUTBOUND_CALL_PATHS.status}${query}`, callbackOverrides),
  };
}
