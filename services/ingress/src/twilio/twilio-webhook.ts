import { type SignatureAlgorithm, type TwilioParams, type WebhookSigner, webhookSigner } from '@series-killer/shared';
import express, { type Request, type RequestHandler } from 'express';
import { HttpError } from '../http/http-errors.ts';
import { assertNoNulCharacters } from '../http/refuse-nul-characters.ts';
import { cachedSignedUrlForms, isTwilioSignature } from './twilio-signature.ts';

/** Largest webhook body accepted, in bytes; larger bodies are refused with 413 before they are parsed. */
export const TWILIO_BODY_LIMIT_BYTES = 64 * 1024;

const readFormText = express.text({ type: 'application/x-www-form-urlencoded', limit: TWILIO_BODY_LIMIT_BYTES });

/**
 * Most fields a webhook form may have. Twilio sends well under a hundred (an MMS with ten media
 * about 45); a form with more is refused before it is parsed or its signature computed.
 */
export const TWILIO_MAX_FORM_FIELDS = 200;

/** How many `&`-separated fields `form` has, counted without parsing it. */
function formFieldCount(form: string): number {
  if (form === '') return 0;
  let count = 1;
  for (let at = form.indexOf('&'); at !== -1; at = form.indexOf('&', at + 1)) count++;
  return count;
}

/** The form's fields; a repeated key keeps its values in order, appended in place (linear in the fields). */
function toParams(form: string): TwilioParams {
  const params: TwilioParams = {};
  // forEach rather than for…of: the iterator allocates a [key, value] pair per field.
  new URLSearchParams(form).forEach((value, key) => {
    const seen = params[key];
    if (seen === undefined) params[key] = value;
    else if (Array.isArray(seen)) seen.push(value);
    else params[key] = [seen, value];
  });
  return params;
}

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

/** The signers of the configured keys, made once. */
interface Signers {
  /** The auth token's: signatures made without a Webhook Rule. */
  authToken: WebhookSigner;
  /** A Webhook Rule's shared key: its id (unset accepts any) and its signer in each algorithm. */
  sharedKey?: { id?: string; byAlgorithm: Record<SignatureAlgorithm, WebhookSigner> };
}

function signersOf({ authToken, sharedKey }: TwilioSignatureOptions): Signers {
  return {
    authToken: webhookSigner('HMAC_SHA1', authToken),
    sharedKey: sharedKey && {
      id: sharedKey.id,
      byAlgorithm: {
        HMAC_SHA1: webhookSigner('HMAC_SHA1', sharedKey.secret),
        HMAC_SHA256: webhookSigner('HMAC_SHA256', sharedKey.secret),
      },
    },
  };
}

/** The signer to check a request with: the auth token's, or that of the shared key its header names. */
function signerOf(header: string | undefined, signers: Signers): WebhookSigner {
  if (header === undefined) return signers.authToken;
  const settings = new Map(
    header.split(',').map((part) => {
      const [name = '', ...value] = part.trim().split('=');
      return [name.trim(), value.join('=').trim()] as const;
    }),
  );
  const algorithm = settings.get('algorithm') ?? '';
  if (!SHARED_KEY_ALGORITHMS.includes(algorithm as SignatureAlgorithm))
    throw new HttpError(403, `unsupported webhook signature algorithm "${algorithm}"`);
  const { sharedKey } = signers;
  if (!sharedKey) throw new HttpError(403, 'webhook signed with a shared key, and none is configured');
  if (sharedKey.id !== undefined && settings.get('key') !== sharedKey.id)
    throw new HttpError(403, 'webhook signed with an unknown shared key');
  return sharedKey.byAlgorithm[algorithm as SignatureAlgorithm];
}

/**
 * Checks `X-Twilio-Signature` against the public URL Twilio called (`publicBaseUrl` plus
 * the path and query), never the Host header, which a proxy or an attacker controls. Twilio
 * signs the URL it was given, connection-override fragment included, which never reaches the
 * server: the URL is tried with and without the configured fragment.
 */
function twilioSignatureCheck(options: TwilioSignatureOptions): (req: Request) => void {
  const formsOf = cachedSignedUrlForms(options.callbackOverrides);
  const signers = signersOf(options);
  return (req) => {
    const given = req.get('X-Twilio-Signature');
    if (!given) throw new HttpError(403, 'missing X-Twilio-Signature');
    const sign = signerOf(req.get(SIGNATURE_SETTINGS_HEADER), signers);
    const url = options.publicBaseUrl + req.originalUrl;
    if (!isTwilioSignature(given, sign, [url], req.body, formsOf))
      throw new HttpError(403, 'invalid X-Twilio-Signature');
  };
}

/**
 * The gate in front of every Twilio route: body limit (64 KiB) and field count, form parsing into
 * `req.body` as Twilio's parameters, signature, then content. One handler rather than one per step:
 * every Express layer a request passes costs it the router's matching and, under a mount path, a
 * rewrite of its URL and back, on the route every delivery callback takes.
 */
export function twilioWebhookGate(options: TwilioSignatureOptions): RequestHandler {
  const checkSignature = twilioSignatureCheck(options);
  return (req, res, next) => {
    readFormText(req, res, (error?: unknown) => {
      if (error) return next(error);
      try {
        const form = typeof req.body === 'string' ? req.body : '';
        if (formFieldCount(form) > TWILIO_MAX_FORM_FIELDS)
          throw new HttpError(413, `webhook form has more than ${TWILIO_MAX_FORM_FIELDS} fields`);
        req.body = toParams(form);
        checkSignature(req);
        assertNoNulCharacters(req.body);
      } catch (refusal) {
        return next(refusal);
      }
      next();
    });
  };
}
