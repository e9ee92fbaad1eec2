import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { type Logger, type SignatureAlgorithm, twilioSignature } from '@series-killer/shared';
import type { BoundedLog } from '../../log/bounded-log.ts';

/** One request Twilio makes to an application: a form-encoded, signed POST. */
export interface WebhookRequest {
  /** What the request is, for the delivery log: `sms-status`, `sms-inbound`, `voice`, `voice-status`, `transcription`. */
  kind: string;
  url: string;
  params: Record<string, string>;
  /** Sent as `I-Twilio-Idempotency-Token`; the same on every retry and duplicate of one event. */
  idempotencyToken: string;
}

/** What the application answered to a webhook, after retries. */
export interface WebhookResult {
  /** HTTP status of the last attempt; 0 when it never answered. */
  status: number;
  body: string;
  attempts: number;
}

/** A webhook as it was delivered, for tests and the control API. */
export interface WebhookDelivery extends WebhookRequest, WebhookResult {
  deliveredAt: number;
  error?: string;
}

export interface WebhookSenderOptions {
  authToken: string;
  /** Redeliveries after a network error, a timeout or a 5xx answer. */
  retries: number;
  /** Delay before the first redelivery in ms; doubles with each further one. */
  retryBaseMs: number;
  /** How long the application has to answer, in ms (Twilio: 15 s). */
  timeoutMs: number;
  log: BoundedLog<WebhookDelivery>;
  logger: Logger;
}

export class WebhookSenderClosedError extends Error {
  constructor(options?: ErrorOptions) {
    super('The sandbox is closing; the webhook was not delivered', options);
    this.name = 'WebhookSenderClosedError';
  }
}

/**
 * How webhooks are signed: with the auth token (HMAC-SHA1, Twilio's default), or as when a
 * Webhook Rule matches the URL: with the Rule's shared key and algorithm, announced in
 * `X-Twilio-Webhooks-Signature-Settings`.
 */
export interface WebhookSigningMode {
  sharedKey?: { id: string; secret: string; algorithm: SignatureAlgorithm };
}

/** The signature headers Twilio sends with one webhook. */
export function signatureHeaders(
  authToken: string,
  mode: WebhookSigningMode,
  url: string,
  params: Record<string, string>,
): Record<string, string> {
  const { sharedKey } = mode;
  if (!sharedKey) return { 'X-Twilio-Signature': twilioSignature('HMAC_SHA1', authToken, url, params) };
  return {
    'X-Twilio-Signature': twilioSignature(sharedKey.algorithm, sharedKey.secret, url, params),
    'X-Twilio-Webhooks-Signature-Settings': `key=${sharedKey.id},algorithm=${sharedKey.algorithm}`,
  };
}

export function newIdempotencyToken(): string {
  return randomUUID();
}

function isRetryable(status: number): boolean {
  return status === 0 || status >= 500;
}

/**
 * Delivers webhooks the way Twilio does: form-encoded, signed with `X-Twilio-Signature`,
 * retried with exponential backoff on network errors, timeouts and 5xx answers. `close()`
 * abandons pending retries and waits for requests in flight.
 */
export class WebhookSender {
  readonly #options: WebhookSenderOptions;
  readonly #abort = new AbortController();
  readonly #inFlight = new Set<Promise<unknown>>();
  #signing: WebhookSigningMode = {};

  constructor(options: WebhookSenderOptions) {
    this.#options = options;
  }

  /** Signs webhooks sent from now on this way; `{}` restores the auth token. */
  setSigningMode(mode: WebhookSigningMode): void {
    this.#signing = mode;
  }

  /** The signature headers of a request to `url` under the current signing mode (a WebSocket upgrade: no params). */
  sign(url: string, params: Record<string, string>): Record<string, string> {
    return signatureHeaders(this.#options.authToken, this.#signing, url, params);
  }

  get signal(): AbortSignal {
    return this.#abort.signal;
  }

  send(request: WebhookRequest): Promise<WebhookResult> {
    const delivery = this.#deliver(request);
    this.#inFlight.add(delivery);
    return delivery.finally(() => this.#inFlight.delete(delivery));
  }

  /** Waits `ms` unless the sender closes first (then throws WebhookSenderClosedError). */
  async pause(ms: number): Promise<void> {
    if (ms <= 0) return;
    try {
      await sleep(ms, undefined, { signal: this.#abort.signal });
    } catch (error) {
      // Only the sender's abort signal ends the sleep early.
      throw new WebhookSenderClosedError({ cause: error });
    }
  }

  async close(): Promise<void> {
    this.#abort.abort();
    await Promise.allSettled([...this.#inFlight]);
  }

  async #deliver(request: WebhookRequest): Promise<WebhookResult> {
    let attempt = 0;
    for (;;) {
      if (this.#abort.signal.aborted) throw new WebhookSenderClosedError();
      attempt += 1;
      const outcome = await this.#attempt(request);
      const result = { status: outcome.status, body: outcome.body, attempts: attempt };
      this.#options.log.push({ ...request, ...result, deliveredAt: Date.now(), error: outcome.error });
      if (!isRetryable(outcome.status) || attempt > this.#options.retries) return result;
      this.#options.logger.debug(
        { kind: request.kind, url: request.url, status: outcome.status, attempt },
        'webhook failed; retrying',
      );
      await this.pause(this.#options.retryBaseMs * 2 ** (attempt - 1));
    }
  }

  async #attempt(request: WebhookRequest): Promise<{ status: number; body: string; error?: string }> {
    try {
      const response = await fetch(request.url, {
        method: 'POST',
        headers: {
          'Content-Type': 'application/x-www-form-urlencoded',
          Accept: '*/*',
          'User-Agent': 'TwilioProxy/1.1',
          ...this.sign(request.url, request.params),
          'I-Twilio-Idempotency-Token': request.idempotencyToken,
          'X-Home-Region': 'us1',
        },
        body: new URLSearchParams(request.params).toString(),
        signal: AbortSignal.any([this.#abort.signal, AbortSignal.timeout(this.#options.timeoutMs)]),
      });
      return { status: response.status, body: await response.text() };
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      return { status: 0, body: '', error: message };
    }
  }
}
