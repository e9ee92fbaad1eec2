import { timingSafeEqual } from 'node:crypto';
import express, { type RequestHandler } from 'express';
import { getExpectedTwilioSignature } from 'twilio/lib/webhooks/webhooks.js';
import { HttpError } from '../http/http-errors.ts';
import { refuseNulCharacters } from '../http/refuse-nul-characters.ts';

/** Twilio's form parameters; a key sent more than once keeps every value, as Twilio signs them. */
export type TwilioParams = Record<string, string | string[]>;

/** Largest webhook body accepted, in bytes; larger bodies are refused with 413 before they are parsed. */
export const TWILIO_BODY_LIMIT_BYTES = 64 * 1024;

const readFormText = express.text({ type: 'application/x-www-form-urlencoded', limit: TWILIO_BODY_LIMIT_BYTES });

function toParams(form: string): TwilioParams {
  const params: TwilioParams = {};
  for (const [key, value] of new URLSearchParams(form)) {
    const seen = params[key];
    if (seen === undefined) params[key] = value;
    else params[key] = Array.isArray(seen) ? [...seen, value] : [seen, value];
  }
  return params;
}

/** Reads the raw form body (at most 64 KiB) into `req.body` as Twilio's parameters. */
const readTwilioForm: RequestHandler = (req, res, next) => {
  readFormText(req, res, (error?: unknown) => {
    if (error) return next(error);
    req.body = toParams(typeof req.body === 'string' ? req.body : '');
    next();
  });
};

function sameSignature(given: string, expected: string): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  // An HMAC-SHA1 in base64 always has the same length, so comparing lengths first leaks nothing.
  return a.length === b.length && timingSafeEqual(a, b);
}

/**
 * Checks `X-Twilio-Signature` against the public URL Twilio called (`publicBaseUrl` plus
 * the path and query), never the Host header, which a proxy or an attacker controls.
 */
function verifyTwilioSignature(authToken: string, publicBaseUrl: string): RequestHandler {
  return (req, _res, next) => {
    const given = req.get('X-Twilio-Signature');
    if (!given) throw new HttpError(403, 'missing X-Twilio-Signature');
    const expected = getExpectedTwilioSignature(authToken, publicBaseUrl + req.originalUrl, req.body);
    if (!sameSignature(given, expected)) throw new HttpError(403, 'invalid X-Twilio-Signature');
    next();
  };
}

/** The gate in front of every Twilio route: body limit, form parsing, signature, then content. */
export function twilioWebhookGate(authToken: string, publicBaseUrl: string): RequestHandler[] {
  return [readTwilioForm, verifyTwilioSignature(authToken, publicBaseUrl), refuseNulCharacters];
}
