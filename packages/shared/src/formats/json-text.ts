import { z } from 'zod';

/** Text holding JSON, parsed (a parse failure is reported with its reason); pipe it into the schema of what it holds. */
export const jsonText = z.string().transform((value, ctx) => {
  try {
    return JSON.parse(value) as unknown;
  } catch (error) {
    ctx.addIssue({ code: 'custom', message: `must be JSON (${(error as Error).message})` });
    return z.NEVER;
  }
});
