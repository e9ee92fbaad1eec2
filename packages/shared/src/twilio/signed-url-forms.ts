import { timingSafeEqual } from 'node:crypto';
import { parse as parseLegacyQuery, stringify as stringifyLegacyQuery } from 'node:querystring';
import { twilioCallbackUrl } from './callback-url.ts';
import { signedParams, type TwilioParams, type WebhookSigner } from './twilio-signature.ts';

/** `url` with the scheme's default port written out (`https://host:443/…`), or as given when it names one. */
function withPort(url: URL): string {
  if (url.port) return url.toString();
  const port = url.protocol === 'https:' || url.protocol === 'wss:' ? '443' : '80';
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
 * The URL as written comes first, since Twilio signs the URL it was given: a check then
 * computes one HMAC, not two, for a URL that names its port.
 */
export function signedUrlForms(url: string): string[] {
  const parsed = new URL(url);
  const forms = [parsed.toString(), parsed.port ? withoutPort(parsed) : withPort(parsed)];
  return [...new Set([...forms, ...forms.map(withLegacyQuery)])];
}

/** How many webhook URLs keep their signed forms: the routes are few, URLs with per-call query strings many. */
const URL_FORMS_CACHE_SIZE = 1_000;

/**
 * `signedUrlForms`, remembered per URL: parsing the URL forms costs more than the HMACs, and a
 * webhook route's URL is the same on every request. With connection `overrides`, the forms of
 * the URL with them as its fragment come first: Twilio signs the callback URLs the services
 * hand it that way, and the fragment never reaches the server. Starts afresh when full.
 */
export function cachedSignedUrlForms(overrides = ''): (url: string) => string[] {
  const cache = new Map<string, string[]>();
  return (url) => {
    const known = cache.get(url);
    if (known) return known;
    if (cache.size >= URL_FORMS_CACHE_SIZE) cache.clear();
    const withFragment = overrides ? signedUrlForms(twilioCallbackUrl(url, '', overrides)) : [];
    const forms = [...new Set([...withFragment, ...signedUrlForms(url)])];
    cache.set(url, forms);
    return forms;
  };
}

/**
 * Whether `given` is the signature `sign` makes of the request at any of `urls` (in any signed form,
 * tried in order). Each comparison takes constant time; stopping at the first match tells only
 * which of the public URL forms was signed, never anything about the key or the signature.
 */
export function isTwilioSignature(
  given: string,
  sign: WebhookSigner,
  urls: string[],
  params: TwilioParams,
  formsOf: (url: string) => string[] = signedUrlForms,
): boolean {
  const givenBytes = Buffer.from(given);
  const paramsData = signedParams(params);
  return urls.some((url) =>
    formsOf(url).some((form) => {
      const expected = Buffer.from(sign(form, paramsData));
      // Signatures of one algorithm have one length, so comparing lengths first leaks nothing.
      return expected.length === givenBytes.length && timingSafeEqual(expected, givenBytes);
    }),
  );
}
