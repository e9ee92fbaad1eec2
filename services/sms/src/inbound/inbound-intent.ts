import { VERIFICATION_CODE_PATTERN } from '@series-killer/shared';

/** Twilio's and the CTIA's opt-out keywords: the whole message, any case. */
const OPT_OUT_KEYWORDS = new Set(['STOP', 'STOPALL', 'UNSUBSCRIBE', 'CANCEL', 'END', 'QUIT', 'REVOKE', 'OPTOUT']);
/** Keywords that opt a number back in. */
const OPT_IN_KEYWORDS = new Set(['START', 'UNSTOP', 'YES']);

/** What an inbound message asks for. */
export type InboundIntent =
  | { kind: 'opt-out'; keyword: string }
  | { kind: 'opt-in'; keyword: string }
  | { kind: 'verification-code'; code: string }
  | { kind: 'message' };

/** Reads an inbound body: a keyword or a code only counts as the whole (trimmed) message. */
export function readInboundIntent(body: string): InboundIntent {
  const text = body.trim();
  const keyword = text.toUpperCase();
  if (OPT_OUT_KEYWORDS.has(keyword)) return { kind: 'opt-out', keyword };
  if (OPT_IN_KEYWORDS.has(keyword)) return { kind: 'opt-in', keyword };
  if (VERIFICATION_CODE_PATTERN.test(text)) return { kind: 'verification-code', code: text };
  return { kind: 'message' };
}
