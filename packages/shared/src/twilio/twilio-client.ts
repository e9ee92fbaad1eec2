import twilio from 'twilio';
import type RequestClient from 'twilio/lib/base/RequestClient.js';
import type { Config } from '../config/load-config.ts';

export type TwilioClient = twilio.Twilio;

/**
 * The Twilio SDK's own HTTP client, re-targeted: every request keeps its path and query
 * but goes to `apiBaseUrl` (the sandbox, or any Twilio-compatible server) instead of
 * *.twilio.com.
 */
class RetargetedRequestClient extends twilio.RequestClient {
  readonly #origin: URL;
  constructor(apiBaseUrl: string, timeoutMs: number | undefined) {
    super({ keepAlive: true, timeout: timeoutMs });
    this.#origin = new URL(apiBaseUrl);
  }
  override request<TData>(opts: RequestClient.RequestOptions<TData>) {
    const target = new URL(opts.uri);
    target.protocol = this.#origin.protocol;
    target.host = this.#origin.host;
    return super.request<TData>({ ...opts, uri: target.toString() });
  }
}

export interface TwilioClientOptions {
  /** How long one REST request may take before it fails, in ms. Default: the SDK's 30 s. */
  timeoutMs?: number;
}

/** The Twilio REST client every service uses; honours `TWILIO_API_BASE_URL`. */
export function createTwilioClient(
  config: Pick<Config['twilio'], 'accountSid' | 'authToken' | 'apiBaseUrl'>,
  options: TwilioClientOptions = {},
): TwilioClient {
  const httpClient = config.apiBaseUrl
    ? new RetargetedRequestClient(config.apiBaseUrl, options.timeoutMs)
    : new twilio.RequestClient({ keepAlive: true, timeout: options.timeoutMs });
  return twilio(config.accountSid, config.authToken, { httpClient });
}
