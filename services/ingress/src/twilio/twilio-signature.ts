import { timingSafeEqual } from 'node:crypto';
import { parse as parseLegacyQuery, stringify as stringifyLegacyQuery } from 'node:querystring';
import { type SignatureAlgorithm, type TwilioParams, twilioSignature } from '@series-killer/shared';

/** `url` with the scheme's default port written out (`https://host:443/…`), or as given when it names one. */
function withPort(url: URL): string {
  if (url.port) return url.toString();
  const port = url.protocol === 'https:' ? '443' : '80';
  const credentials = url.username ? `${url.username}${url.password ? `:${url.password}` : ''}@` : '';
  return `${url.protocol}//${credentials}${url.hostname}:${port}${url.pathname}${url.search}${url.hash}`;
}

function withoutPort(url: URL): string {
  const copy = new URL(url);
  copy.port = '';
  return copy.toString();
}

/** The query string re-encoded the way older Twilio signers did (Node's querystring: `'` as `%27`, …). */
function withLegacyQuery(url: string): string {
  const parsed = new URL(url);
  if (!parsed.search) return url;
  const query = stringifyLegacyQuery(parseLegacyQuery(parsed.search.slice(1)));
  const hash = parsed.hash;
  parsed.search = '';
  parsed.hash = '';
  return `${parsed.toString()}?${query}${hash}`;
}

/**
 * Every form of `url` Twilio may have signed, as its own `validateRequest` tries them: with
 * and without the port, and with the query string as sent and as older signers encoded it.
 */
export function signedUrlForms(url: string): string[] {
  const parsed = new URL(url);
  const forms = [withoutPort(parsed), withPort(parsed)];
  return [...new Set([...forms, ...forms.map(withLegacyQuery)])];
}

/**
 * Whether `given` is Twilio's signature of the request at any of `urls` (in any signed form).
 * Every candidate is computed and compared in constant time, so the answer's timing says
 * nothing about which part matched.
 */
export function isTwilioSignature(
  given: string,
  algorithm: SignatureAlgorithm,
  key: string,
  urls: string[],
  params: TwilioParams,
): boolean {
  const givenBytes = Buffer.from(given);
  let valid = false;
  for (const url of urls) {
    for (const form of signedUrlForms(url)) {
      const expected = Buffer.from(twilioSignature(algorithm, key, form, params));
      // Signatures of one algorithm have one length, so comparing lengths first leaks nothing.
      const same = expected.length === givenBytes.length && timingSafeEqual(expected, givenBytes);
      valid = valid || same;
    }
  }
  return valid;
}
