import type { RequestHandler } from 'express';
import { BadRequestError } from './http-errors.ts';

/** The first field (dotted path) of a parsed body whose text holds a NUL character. */
function fieldWithNul(value: unknown, path: string): string | undefined {
  if (typeof value === 'string') return value.includes('\u0000') ? path || '(body)' : undefined;
  if (value === null || typeof value !== 'object') return undefined;
  for (const key of Object.keys(value)) {
    const inner: unknown = (value as Record<string, unknown>)[key];
    const found = fieldWithNul(inner, path ? `${path}.${key}` : key);
    if (found) return found;
  }
  return undefined;
}

/**
 * Postgres stores no NUL in text or jsonb: a body carrying one could be accepted and then
 * fail its job forever. Refused up front as a 400 naming the field.
 */
export function assertNoNulCharacters(body: unknown): void {
  const field = fieldWithNul(body, '');
  if (field) throw new BadRequestError({ [field]: 'must not contain a NUL character' });
}

/** `assertNoNulCharacters` of the parsed body, as a middleware. */
export const refuseNulCharacters: RequestHandler = (req, _res, next) => {
  assertNoNulCharacters(req.body);
  next();
};
