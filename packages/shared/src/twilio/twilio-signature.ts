import { createHmac } from 'node:crypto';

/** Twilio's form parameters; a key sent more than once keeps every value, as Twilio signs them. */
export type TwilioParams = Record<string, string | string[]>;

/** The HMACs Twilio signs webhooks with: SHA-1 under the auth token, or a Webhook Rule's algorithm under its shared key. */
export type SignatureAlgorithm = 'HMAC_SHA1' | 'HMAC_SHA256';

const HASH: Record<SignatureAlgorithm, 'sha1' | 'sha256'> = { HMAC_SHA1: 'sha1', HMAC_SHA256: 'sha256' };

/**
 * What Twilio appends to the URL before signing: every parameter name followed by its value,
 * names in order; a repeated name contributes each distinct value, in order.
 */
export function signedParams(params: TwilioParams): string {
  let data = '';
  for (const name of Object.keys(params).sort()) {
    const value = params[name] ?? '';
    const values = Array.isArray(value) ? [...new Set(value)].sort() : [value];
    for (const item of values) data += name + item;
  }
  return data;
}

/** Base64 of the HMAC of the URL followed by `signedParams`: Twilio's signature of a webhook. */
export function signUrlAndParams(algorithm: SignatureAlgorithm, key: string, url: string, paramsData: string): string {
  return createHmac(HASH[algorithm], key).update(url, 'utf8').update(paramsData, 'utf8').digest('base64');
}

/** Twilio's signature of a webhook to `url` with `params`. */
export function twilioSignature(algorithm: SignatureAlgorithm, key: string, url: string, params: TwilioParams): string {
  return signUrlAndParams(algorithm, key, url, signedParams(params));
}
