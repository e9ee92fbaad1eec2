import type { SignatureAlgorithm, TwilioParams } from '@series-killer/shared';
import express, { type RequestHandler } from 'express';
import { HttpError } from '../http/http-errors.ts';
import { refuseNulCharacters } from '../http/refuse-nul-characters.ts';
import { cachedSignedUrlForms, isTwilioSignature } from './twilio-signature.ts';

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

/** The signing key a Twilio Webhook Rule names in `X-Twilio-Webhooks-Signature-Settings`. */
export interface WebhookSharedKey {
  /** The key's secret. */
  secret: string;
  /** The key's id as the header names it; unset accepts any id. */
  id?: string;
}

export interface TwilioSignatureOptions {
  /** The account's auth token: the key of signatures made without a Webhook Rule. */
  authToken: string;
  /** The URL Twilio calls, without a trailing slash; the path and query are appended. */
  publicBaseUrl: string;
  /** Connection overrides the services append as a `#fragment` to the URLs they give Twilio; empty: none. */
  callbackOverrides?: string;
  /** The shared key of a Webhook Rule; unset refuses webhooks signed under one. */
  sharedKey?: WebhookSharedKey;
}

const SIGNATURE_SETTINGS_HEADER = 'X-Twilio-Webhooks-Signature-Settings';
const SHARED_KEY_ALGORITHMS: readonly SignatureAlgorithm[] = ['HMAC_SHA1', 'HMAC_SHA256'];

/** The key and algorithm to check a request with: the auth token, or the shared key its header names. */
function signingKeyOf(
  header: string | undefined,
  options: TwilioSignatureOptions,
): { algorithm: SignatureAlgorithm; key: string } {
  if (header === undefined) return { algorithm: 'HMAC_SHA1', key: options.authToken };
  const settings = new Map(
    header.split(',').map((part) => {
      const [name = '', ...value] = part.trim().split('=');
      return [name.trim(), value.join('=').trim()] as const;
    }),
  );
  const algorithm = settings.get('algorithm') ?? '';
  if (!SHARED_KEY_ALGORITHMS.includes(algorithm as SignatureAlgorithm))
    throw new HttpError(403, `unsupported webhook signature algorithm "${algorithm}"`);
  const { sharedKey } = options;
  if (!sharedKey) throw new HttpError(403, 'webhook signed with a shared key, and none is configured');
  if (sharedKey.id !== undefined && settings.get('key') !== sharedKey.id)
    throw new HttpError(403, 'webhook signed with an unknown shared key');
  return { algorithm: algorithm as SignatureAlgorithm, key: sharedKey.secret };
}

/**
 * Checks `X-Twilio-Signature` against the public URL Twilio called (`publicBaseUrl` plus
 * the path and query), never the Host header, which a proxy or an attacker controls. Twilio
 * signs the URL it was given, connection-override fragment included, which never reaches the
 * server: the URL is tried with and without the configured fragment.
 */
function verifyTwilioSignature(options: TwilioSignatureOptions): RequestHandler {
  const formsOf = cachedSignedUrlForms(options.callbackOverrides);
  return (req, _res, next) => {
    const given = req.get('X-Twilio-Signature');
    if (!given) throw new HttpError(403, 'missing X-Twilio-Signature');
    const { algorithm, key } = signingKeyOf(req.get(SIGNATURE_SETTINGS_HEADER), options);
    const url = options.publicBaseUrl + req.originalUrl;
    if (!isTwilioSignature(given, algorithm, key, [url], req.body, formsOf))
      throw new HttpError(403, 'invalid X-Twilio-Signature');
    next();
  };
}

/** The gate in front of every Twilio route: body limit, form parsing, signature, then content. */
export function twilioWebhookGate(options: TwilioSignatureOptions): RequestHandler[] {
  return [readTwilioForm, verifyTwilioSignature(options), refuseNulCharacters];
}
