import { toE164 } from '@series-killer/shared';
import { z } from 'zod';

/** Longest `purpose`, in characters: a line the bot is told, not a script. */
export const MAX_PURPOSE_LENGTH = 500;

/** How far ahead a call may be asked for, in milliseconds. */
const MAX_SCHEDULE_AHEAD_MS = 366 * 24 * 60 * 60 * 1000;

/** The body of `POST /api/calls`: who to call (by user id or linked number), about what, and when. */
export const outboundCallRequestSchema = z
  .object({
    userId: z.uuid('must be a UUID').optional(),
    phone: z
      .string()
      .transform((value, ctx) => {
        const e164 = toE164(value);
        if (e164 === undefined) {
          ctx.addIssue({ code: 'custom', message: 'must be a valid phone number' });
          return z.NEVER;
        }
        return e164;
      })
      .optional(),
    purpose: z
      .string()
      .trim()
      .min(1, 'must not be empty')
      .max(MAX_PURPOSE_LENGTH, `must be at most ${MAX_PURPOSE_LENGTH} characters`)
      .optional(),
    at: z.iso
      .datetime({ offset: true, error: 'must be an ISO 8601 time with its offset, e.g. 2026-12-24T18:00:00+01:00' })
      .transform((value) => new Date(value))
      .refine((at) => at.getTime() - Date.now() <= MAX_SCHEDULE_AHEAD_MS, 'must be within a year')
      .optional(),
    idempotencyKey: z
      .string()
      .regex(/^[\w.:-]{1,200}$/, 'must be 1 to 200 letters, digits, or . _ : -')
      .optional(),
  })
  .refine((body) => (body.userId === undefined) !== (body.phone === undefined), {
    message: 'give exactly one of userId and phone',
    path: ['userId'],
  });

export type OutboundCallRequest = z.output<typeof outboundCallRequestSchema>;
