import { setTimeout as sleep } from 'node:timers/promises';
import type { Db } from '@series-killer/shared';
import { asTwilioApiError } from '../twilio-errors/twilio-api-error.ts';
import { TWILIO_TOO_MANY_REQUESTS } from '../twilio-errors/twilio-error-codes.ts';
import type { MessageRedactor } from './message-redactor.ts';
import { findPendingRedactions, type Redaction, recordRedactionAttempt } from './twilio-redactions.repository.ts';

/** Twilio could not be reached, answered 5xx or asked us to slow down: the rest stays pending for a retry. */
export class RedactionInterruptedError extends Error {
  readonly rateLimited: boolean;
  constructor(message: string, rateLimited: boolean, options?: ErrorOptions) {
    super(message, options);
    this.name = 'RedactionInterruptedError';
    this.rateLimited = rateLimited;
  }
}

export interface RedactMessageBodiesDeps {
  db: Db;
  redactor: MessageRedactor;
}

export interface RedactMessageBodiesOptions {
  /** Redaction requests per second at most (Twilio limits concurrent REST requests per account). Default 10. */
  perSecond?: number;
  /** Called after each message, for a progress report. */
  onRedaction?(redaction: Redaction): void;
}

const TWILIO_NOT_FOUND = 20404;

/**
 * Redacts at Twilio, one message at a time and at most `perSecond` a second, every message an
 * erasure recorded that is still pending; each outcome is saved as soon as Twilio answers, so
 * a rerun after a crash or an interruption continues where this one stopped. A message Twilio
 * no longer has is `not-found` (deleted, or never there), a refused one `failed` with the
 * reason. Resolves with the outcome of each message this run redacted.
 */
export async function redactMessageBodies(
  deps: RedactMessageBodiesDeps,
  erasureId: number,
  options: RedactMessageBodiesOptions = {},
): Promise<Redaction[]> {
  const intervalMs = 1_000 / (options.perSecond ?? 10);
  let nextAt = 0;
  const outcomes: Redaction[] = [];
  for (const messageSid of await findPendingRedactions(deps.db, erasureId)) {
    await sleep(Math.max(0, nextAt - Date.now()));
    nextAt = Date.now() + intervalMs;
    const outcome = await redactOne(deps.redactor, messageSid);
    await recordRedactionAttempt(deps.db, messageSid, outcome);
    const redaction = { messageSid, status: outcome.status, error: outcome.error ?? null };
    outcomes.push(redaction);
    options.onRedaction?.(redaction);
  }
  return outcomes;
}

async function redactOne(
  redactor: MessageRedactor,
  messageSid: string,
): Promise<{ status: 'redacted' | 'not-found' | 'failed'; error?: string }> {
  try {
    await redactor.redact(messageSid);
    return { status: 'redacted' };
  } catch (error) {
    const answer = asTwilioApiError(error);
    if (!answer) throw new RedactionInterruptedError('Twilio could not be reached', false, { cause: error });
    if (answer.status === 429 || answer.code === TWILIO_TOO_MANY_REQUESTS)
      throw new RedactionInterruptedError('Twilio rate limit reached', true, { cause: error });
    if (answer.status >= 500)
      throw new RedactionInterruptedError(`Twilio answered HTTP ${answer.status}`, false, { cause: error });
    if (answer.status === 404 || answer.code === TWILIO_NOT_FOUND) return { status: 'not-found' };
    const reason = error instanceof Error ? error.message : String(error);
    return { status: 'failed', error: `${answer.code ?? `HTTP ${answer.status}`}: ${reason}` };
  }
}
