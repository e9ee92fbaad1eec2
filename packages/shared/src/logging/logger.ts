import { type Logger, pino } from 'pino';
import { maskPhone } from '../phone/e164.ts';

export type { Logger } from 'pino';

/** Anything that looks like a phone number inside a logged string. */
const PHONE_IN_TEXT = /(?<![\w+])\+?[1-9]\d{9,14}\b/g;
/** Keys compared in lower case: `Authorization` is as secret as `authorization`. */
const PHONE_KEYS = new Set(['phone', 'phonenumber', 'phone_number', 'to', 'from', 'caller', 'called']);
const SECRET_KEYS = new Set([
  'authtoken',
  'password',
  'apikey',
  'token',
  'secret',
  'authorization',
  'body',
  'verificationcode',
  'verification_code',
]);

/**
 * The only fields of an error that reach the logs: what failed and why. An SDK's error also
 * carries the request it made (the Twilio SDK's Axios error holds `Authorization: Basic …` in
 * `config.headers` and `request._header`), so fields are allowed one by one, never denied.
 */
const ERROR_FIELDS = ['code', 'status', 'statusCode', 'moreInfo', 'detail', 'constraint'] as const;
/** How deep a `cause` chain is followed. */
const MAX_CAUSE_DEPTH = 5;

/** An error as a log record: name, message, stack, codes, HTTP status and its cause chain. */
function serializeError(error: Error, depth = 0): Record<string, unknown> {
  const fields = error as Error & Record<string, unknown>;
  const out: Record<string, unknown> = { name: error.name, message: error.message, stack: error.stack };
  for (const key of ERROR_FIELDS) {
    const value = fields[key];
    if (typeof value === 'string' || typeof value === 'number') out[key] = value;
  }
  // An HTTP client's error holds the answer's status on its response (Axios: `response.status`).
  const response = fields.response as { status?: unknown } | undefined;
  if (out.status === undefined && typeof response?.status === 'number') out.status = response.status;
  if (error.cause !== undefined && depth < MAX_CAUSE_DEPTH) out.cause = serializeCause(error.cause, depth + 1);
  if (error instanceof AggregateError && depth < MAX_CAUSE_DEPTH)
    out.errors = error.errors.map((inner: unknown) => serializeCause(inner, depth + 1));
  return out;
}

function serializeCause(cause: unknown, depth: number): unknown {
  if (cause instanceof Error) return serializeError(cause, depth);
  return typeof cause === 'string' || typeof cause === 'number' ? cause : `[${typeof cause}]`;
}

/** Masks phone numbers and redacts secrets anywhere in a log record, however deep. */
export function sanitizeForLog(value: unknown, key?: string, depth = 0): unknown {
  const lowerKey = key?.toLowerCase();
  if (lowerKey && SECRET_KEYS.has(lowerKey) && value !== undefined && value !== null) return '[redacted]';
  if (typeof value === 'string') {
    return lowerKey && PHONE_KEYS.has(lowerKey) ? maskPhone(value) : value.replace(PHONE_IN_TEXT, maskPhone);
  }
  if (value === null || typeof value !== 'object' || depth > 6) return value;
  // Errors carry data too (a Twilio message naming the number, a pg `detail` with the row):
  // reduce them to their allowed fields, then mask like any other object.
  if (value instanceof Error) return sanitizeForLog(serializeError(value), key, depth + 1);
  if (Array.isArray(value)) return value.map((item) => sanitizeForLog(item, undefined, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) out[k] = sanitizeForLog(v, k, depth + 1);
  return out;
}

/**
 * JSON logs (pino) for one service. Phone numbers are masked and secrets (tokens, message
 * bodies, verification codes) redacted in every record and message; errors are logged by
 * allow-list (see `serializeError`).
 */
export function createLogger(service: string, level = 'info', destination?: pino.DestinationStream): Logger {
  return pino(
    {
      name: service,
      level,
      formatters: { log: (record) => sanitizeForLog(record) as Record<string, unknown> },
      hooks: {
        logMethod(args, method) {
          const masked = args.map((arg) => (typeof arg === 'string' ? arg.replace(PHONE_IN_TEXT, maskPhone) : arg));
          method.apply(this, masked as Parameters<typeof method>);
        },
      },
      serializers: { err: (error: unknown) => (error instanceof Error ? serializeError(error) : error) },
    },
    // Synchronous: pino's asynchronous stdout flushes what is left on exit and, once the reader of
    // stdout is gone, retries the EPIPE forever, so the process never exits. Written at once, an
    // EPIPE just turns logging off.
    destination ?? pino.destination({ dest: 1, sync: true }),
  );
}
