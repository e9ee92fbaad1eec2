/**
 * What Twilio's error codes mean, in one place: the text stored as a message's
 * `error_message` ("<code>: <meaning>") and the reason of a failed send.
 * https://www.twilio.com/docs/api/errors
 */
const MEANINGS: Record<number, string> = {
  20003: 'authentication failed',
  20005: 'account not active',
  20404: 'resource not found',
  20429: 'too many requests',
  21211: "invalid 'To' phone number",
  21212: "invalid 'From' phone number",
  21408: 'permission to send an SMS to this region is not enabled',
  21601: "'To' phone number is not a valid SMS-capable number",
  21602: 'message body is required',
  21606: "'From' phone number is not a valid SMS-capable number for this account",
  21608: "'To' number is not verified for this trial account",
  21610: 'recipient has unsubscribed (replied STOP)',
  21611: "the 'From' number's queue of messages is full",
  21612: "'To' phone number is not reachable or not supported by this sender",
  21614: "'To' phone number is not a mobile number",
  21617: 'message body exceeds the 1600 character limit',
  30001: 'queue overflow',
  30002: 'account suspended',
  30003: 'unreachable destination handset',
  30004: 'message blocked',
  30005: 'unknown destination handset',
  30006: 'landline or unreachable carrier',
  30007: 'message filtered as spam by the carrier',
  30008: 'unknown error',
  30009: 'missing message segment',
  30010: 'message price exceeds the maximum price',
};

/** The meaning of a Twilio error code, or a generic phrase for codes not listed. */
export function twilioErrorMeaning(code: number): string {
  return MEANINGS[code] ?? 'Twilio error';
}

/** The text stored for a failed message: "<code>: <meaning>". */
export function describeTwilioError(code: number): string {
  return `${code}: ${twilioErrorMeaning(code)}`;
}

/** 21610: the recipient replied STOP to this sender; Twilio refuses every further message. */
export const TWILIO_UNSUBSCRIBED = 21610;
/** Twilio's own rate limit on API requests. */
export const TWILIO_TOO_MANY_REQUESTS = 20429;

/**
 * 21xxx refusals caused by our sending configuration, not by the recipient: an invalid or
 * unusable `From` (21212, 21606), a trial account that may only text verified numbers (21608),
 * the sender's queue holding 10 hours of messages already (21611, temporary). Every send fails
 * alike until the configuration is fixed or the queue drains, then succeeds.
 */
const CONFIGURATION_FAULTS = new Set([21212, 21606, 21608, 21611]);

/** Whether Twilio refused the send because of our sender configuration (see CONFIGURATION_FAULTS). */
export function isConfigurationFault(code: number): boolean {
  return CONFIGURATION_FAULTS.has(code);
}

/**
 * 21xxx: Twilio refused this message or its number (invalid or unreachable number, region not
 * enabled, unsubscribed, bad body); sending it again fails the same way. Configuration faults
 * are not the message's. Other refusals (20003 authentication, 20005 inactive account, 20404,
 * a 401 or 403 without a code) concern the account, not the message, and stop once the
 * account is fixed.
 */
export function isMessageRefusal(code: number): boolean {
  return code >= 21000 && code < 22000 && !isConfigurationFault(code);
}
