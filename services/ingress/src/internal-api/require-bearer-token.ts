import { createHash, timingSafeEqual } from 'node:crypto';
import type { RequestHandler } from 'express';
import { HttpError } from '../http/http-errors.ts';

const digest = (value: string) => createHash('sha256').update(value).digest();

/**
 * Guards the internal API and the DB hook with `Authorization: Bearer <token>`. Without a
 * configured token the routes do not exist (404). Tokens are compared as SHA-256 digests
 * in constant time, so neither content nor length leaks.
 */
export function requireBearerToken(token: string | undefined): RequestHandler {
  const expected = token === undefined ? undefined : digest(token);
  return (req, res, next) => {
    if (!expected) throw new HttpError(404, 'not found');
    const match = /^Bearer (.+)$/.exec(req.get('Authorization') ?? '');
    if (!match?.[1] || !timingSafeEqual(digest(match[1]), expected)) {
      res.set('WWW-Authenticate', 'Bearer');
      throw new HttpError(401, 'a valid bearer token is required');
    }
    next();
  };
}
