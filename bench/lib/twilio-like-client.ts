// A webhook sender that behaves like Twilio with retries configured (`#rc=…&rp=all`): each
// callback is redelivered after a network error, a timeout or a 5xx answer, with a growing delay.
import type { SignedRequest } from '../load/signed-status-callbacks.ts';
import { percentile } from './stats.ts';

export interface SendLikeTwilioOptions {
  /** Where the callbacks are posted. */
  url: string;
  requests: SignedRequest[];
  /** First attempts started per second, spread evenly. */
  ratePerSecond: number;
  /** Attempts per callback, the first included. Default 12. */
  maxAttempts?: number;
  /** Delay before the first redelivery in ms, doubling after each, at most 4000. Default 500. */
  retryBaseMs?: number;
  /** Time an answer may take, in ms (Twilio's limit). Default 15000. */
  timeoutMs?: number;
  /** Called when a callback is first accepted, e.g. to count what was accepted before a fault. */
  onAccepted?: (messageSid: string) => void;
}

export interface SendReport {
  sent: number;
  /** MessageSids that got a 2xx answer at least once. */
  acceptedSids: string[];
  /** Callbacks that never got a 2xx answer. */
  rejected: number;
  /** Answers by HTTP status; 0 is a network error or timeout. */
  answers: Record<string, number>;
  /** Redeliveries made. */
  retries: number;
  /** How long the non-2xx answers took, ms (the 503s of an outage should be quick). */
  failedAnswerP99Ms: number;
  failedAnswerMaxMs: number;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Posts every request at the given rate, redelivering each until it is accepted or out of attempts. */
export async function sendLikeTwilio(options: SendLikeTwilioOptions): Promise<SendReport> {
  const maxAttempts = options.maxAttempts ?? 12;
  const retryBaseMs = options.retryBaseMs ?? 500;
  const timeoutMs = options.timeoutMs ?? 15_000;
  const answers: Record<string, number> = {};
  const failedAnswerMs: number[] = [];
  const acceptedSids: string[] = [];
  let retries = 0;

  async function attempt(request: SignedRequest): Promise<number> {
    const startedAt = performance.now();
    let status = 0;
    try {
      const response = await fetch(options.url, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-twilio-signature': request.signature },
        body: request.body,
        signal: AbortSignal.timeout(timeoutMs),
      });
      await response.arrayBuffer();
      status = response.status;
    } catch {
      // A refused connection or a timeout: Twilio redelivers those like a 5xx.
    }
    answers[status] = (answers[status] ?? 0) + 1;
    if (status < 200 || status >= 300) failedAnswerMs.push(performance.now() - startedAt);
    return status;
  }

  async function deliver(request: SignedRequest): Promise<boolean> {
    for (let n = 1; n <= maxAttempts; n += 1) {
      const status = await attempt(request);
      if (status >= 200 && status < 300) return true;
      if (status >= 400 && status < 500) return false;
      if (n < maxAttempts) {
        retries += 1;
        await sleep(Math.min(4_000, retryBaseMs * 2 ** (n - 1)));
      }
    }
    return false;
  }

  const deliveries: Promise<void>[] = [];
  const startedAt = performance.now();
  let next = 0;
  while (next < options.requests.length) {
    const due = Math.min(
      options.requests.length,
      Math.floor(((performance.now() - startedAt) * options.ratePerSecond) / 1_000) + 1,
    );
    for (; next < due; next += 1) {
      const request = options.requests[next] as SignedRequest;
      deliveries.push(
        deliver(request).then((accepted) => {
          if (!accepted) return;
          acceptedSids.push(request.messageSid);
          options.onAccepted?.(request.messageSid);
        }),
      );
    }
    await sleep(5);
  }
  await Promise.all(deliveries);

  return {
    sent: options.requests.length,
    acceptedSids,
    rejected: options.requests.length - acceptedSids.length,
    answers,
    retries,
    failedAnswerP99Ms: Math.round(percentile(failedAnswerMs, 99) || 0),
    failedAnswerMaxMs: Math.round(Math.max(0, ...failedAnswerMs)),
  };
}
