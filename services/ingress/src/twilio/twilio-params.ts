import { toE164, twilioSidPattern } from '@series-killer/shared';
import { z } from 'zod';

/** A Twilio SID: its two-letter prefix (one of `prefixes`) and 32 hex digits. */
export function twilioSid(prefixes: string[], what: string) {
  return z.string().regex(twilioSidPattern(...prefixes), `must be a Twilio ${what}`);
}

/** A whole number sent as form text. */
export const formInt = z
  .string()
  .regex(/^\d+$/, 'must be a whole number')
  .transform((value) => Number(value));

/** `true` / `false` sent as form text. */
export const formBoolean = z.enum(['true', 'false']).transform((value) => value === 'true');

/** A phone number in any form Twilio sends, normalised to E.164. */
export const phoneParam = z.string().transform((value, ctx) => {
  const e164 = toE164(value);
  if (e164 === undefined) {
    ctx.addIssue({ code: 'custom', message: 'must be a valid phone number' });
    return z.NEVER;
  }
  return e164;
});
