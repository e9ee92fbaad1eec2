import {
  cachedSignedUrlForms,
  isTwilioSignature,
  SIGNATURE_SETTINGS_HEADER,
  signerOf,
  signersOf,
  type TwilioParams,
  TwilioSignatureRefusedError,
  type TwilioSigningKeys,
  type WebhookSigner,
} from '@series-killer/shared';
import express, { type Request, type RequestHandler } from 'express';
import { HttpError } from '../http/http-errors.ts';
import { assertNoNulCharacters } from '../http/refuse-nul-characters.ts';

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

function refusedAs403(choose: () => WebhookSigner): WebhookSigner {
  try {
    return choose();
  } catch (error) {
    if (error instanceof TwilioSignatureRefusedError) throw new HttpError(403, error.message, {}, { cause: error });
    throw error;
  }
}

export interface TwilioSignatureOptions extends TwilioSigningKeys {
  /** The URL Twilio calls, without a trailing slash; the path and query are appended. */
  publicBaseUrl: string;
  /** Connection overrides the services append as a `#fragment` to the URLs they give Twilio; empty: none. */
  callbackOverrides?: string;
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
    const sign = refusedAs403(() => signerOf(req.get(SIGNATURE_SETTINGS_HEADER), signers));
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
