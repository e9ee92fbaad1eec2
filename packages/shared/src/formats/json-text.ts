import { z } from 'zod';

/** Text holding JSON, parsed; the issue names the parse error. Pipe it into the schema of what it holds. */
export const jsonText = z.string().transform((value, ctx) => {
  try {
    return JSON.parse(value) as unknown;
  } catch (error) {
    ctx.addIssue({ code: 'custom', message: `must be JSON (${(error as Error).message})` });
    return z.NEVER;
  }
});
