import type { RequestHandler } from 'express';
import { HttpError } from '../http/http-errors.ts';
import { matchesSecret, secretDigest } from '../http/secret-digest.ts';

/**
 * Guards the internal API and the DB hook with `Authorization: Bearer <token>`. Without a
 * configured token the routes do not exist (404). Tokens are compared as digests in
 * constant time.
 */
export function requireBearerToken(token: string | undefined): RequestHandler {
  const expected = token === undefined ? undefined : secretDigest(token);
  return (req, res, next) => {
    if (!expected) throw new HttpError(404, 'not found');
    const match = /^Bearer (.+)$/.exec(req.get('Authorization') ?? '');
    if (!match?.[1] || !matchesSecret(match[1], expected)) {
      res.set('WWW-Authenticate', 'Bearer');
      throw new HttpError(401, 'a valid bearer token is required');
    }
    next();
  };
}
