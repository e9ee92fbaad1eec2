import { randomBytes } from 'node:crypto';

/** A Twilio-style SID: a two-letter resource prefix and 32 lowercase hex digits (`SM…`, `CA…`, `GT…`). */
export function newSid(prefix: string): string {
  return `${prefix}${randomBytes(16).toString('hex')}`;
}
