import { createHmac } from 'node:crypto';

/** Twilio's form parameters; a key sent more than once keeps every value, as Twilio signs them. */
export type TwilioParams = Record<string, string | string[]>;

/** The HMACs Twilio signs webhooks with: SHA-1 under the auth token, or a Webhook Rule's algorithm under its shared key. */
export type SignatureAlgorithm = 'HMAC_SHA1' | 'HMAC_SHA256';

const HASH: Record<SignatureAlgorithm, 'sha1' | 'sha256'> = { HMAC_SHA1: 'sha1', HMAC_SHA256: 'sha256' };

/**
 * What Twilio signs: the URL, then every parameter name followed by its value, names in
 * order; a repeated name contributes each distinct value, in order. Base64 of the HMAC.
 */
export function twilioSignature(algorithm: SignatureAlgorithm, key: string, url: string, params: TwilioParams): string {
  let data = url;
  for (const name of Object.keys(params).sort()) {
    const value = params[name] ?? '';
    const values = Array.isArray(value) ? [...new Set(value)].sort() : [value];
    for (const item of values) data += name + item;
  }
  return createHmac(HASH[algorithm], key).update(data, 'utf8').digest('base64');
}
