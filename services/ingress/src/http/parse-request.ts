import type { z } from 'zod';
import { BadRequestError } from './http-errors.ts';

/** Parses a request body with its schema; a mismatch becomes a 400 naming each bad field. */
export function parseRequest<S extends z.ZodType>(schema: S, input: unknown): z.output<S> {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  const fields: Record<string, string> = {};
  for (const issue of result.error.issues) {
    const field = issue.path.map(String).join('.') || '(body)';
    fields[field] ??= issue.message;
  }
  throw new BadRequestError(fields, { cause: result.error });
}
