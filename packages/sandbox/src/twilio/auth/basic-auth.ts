import { timingSafeEqual } from 'node:crypto';
import type { RequestHandler } from 'express';
import { twilioErrorBody } from '../twilio-error.ts';

function sameText(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
}

function readBasicAuth(header: string | undefined): { user: string; password: string } | undefined {
  const match = /^Basic\s+(.+)$/i.exec(header ?? '');
  if (!match?.[1]) return undefined;
  const decoded = Buffer.from(match[1], 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) return undefined;
  return { user: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
}

/**
 * Twilio's HTTP basic auth: the account SID and auth token, for the account named in the
 * path. Anything else gets Twilio's 401 (error 20003).
 */
export function twilioBasicAuth(credentials: { accountSid: string; authToken: string }): RequestHandler {
  return (req, res, next) => {
    const given = readBasicAuth(req.headers.authorization);
    const pathAccount = req.params.accountSid;
    const valid =
      given !== undefined &&
      sameText(given.user, credentials.accountSid) &&
      sameText(given.password, credentials.authToken) &&
      pathAccount === credentials.accountSid;
    if (valid) {
      next();
      return;
    }
    res
      .status(401)
      .set('WWW-Authenticate', 'Basic realm="Twilio API"')
      .json({
        ...twilioErrorBody(401, 20003, 'Authentication Error - invalid username'),
        detail: 'Your AccountSid or AuthToken was incorrect.',
      });
  };
}
