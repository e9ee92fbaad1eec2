import { isTimeZone, toE164 } from '@series-killer/shared';
import { z } from 'zod';

const name = z.string().trim().min(1, 'is required').max(100, 'must be at most 100 characters');

/** The body of `POST /api/users`. */
export const newUserSchema = z.object({
  phone: z.string({ error: 'is required' }).transform((value, ctx) => {
    const e164 = toE164(value);
    if (e164 === undefined) {
      ctx.addIssue({ code: 'custom', message: 'must be a valid phone number' });
      return z.NEVER;
    }
    return e164;
  }),
  firstName: name,
  lastName: name,
  location: z.string().trim().max(200, 'must be at most 200 characters').optional(),
  email: z.email('must be an email address').optional(),
  voicePreference: z
    .string()
    .regex(/^[A-Za-z][\w.-]{0,63}$/, 'must be a Twilio voice name such as Polly.Joanna')
    .optional(),
  /** Where outbound calls find the user's calling hours (unset: OUTBOUND_CALL_TIMEZONE). */
  timeZone: z.string().refine(isTimeZone, 'must be an IANA time zone such as Europe/Paris').optional(),
});

/** A validated new user; `phone` is E.164. */
export type NewUser = z.output<typeof newUserSchema>;
