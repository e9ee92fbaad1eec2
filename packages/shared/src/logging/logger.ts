import { type Logger, pino } from 'pino';
import { maskPhone } from '../phone/e164.ts';

export type { Logger } from 'pino';

/** Anything that looks like a phone number inside a logged string. */
const PHONE_IN_TEXT = /(?<![\w+])\+?[1-9]\d{9,14}\b/g;
const PHONE_KEYS = new Set(['phone', 'phoneNumber', 'phone_number', 'to', 'from', 'To', 'From', 'Caller', 'Called']);
const SECRET_KEYS = new Set([
  'authToken',
  'password',
  'apiKey',
  'token',
  'secret',
  'authorization',
  'body',
  'Body',
  'verificationCode',
  'verification_code',
]);

/** Masks phone numbers and redacts secrets anywhere in a log record, however deep. */
export function sanitizeForLog(value: unknown, key?: string, depth = 0): unknown {
  if (key && SECRET_KEYS.has(key) && value !== undefined && value !== null) return '[redacted]';
  if (typeof value === 'string') {
    return key && PHONE_KEYS.has(key) ? maskPhone(value) : value.replace(PHONE_IN_TEXT, maskPhone);
  }
  if (value === null || typeof value !== 'object' || depth > 6) return value;
  // Errors carry data too (a Twilio message naming the number, a pg `detail` with the row):
  // serialise them as pino would, then mask like any other object.
  if (value instanceof Error) return sanitizeForLog(pino.stdSerializers.err(value), key, depth + 1);
  if (Array.isArray(value)) return value.map((item) => sanitizeForLog(item, undefined, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) out[k] = sanitizeForLog(v, k, depth + 1);
  return out;
}

/**
 * JSON logs (pino) for one service. Phone numbers are masked and secrets (tokens, message
 * bodies, verification codes) redacted in every record and message.
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
      serializers: { err: pino.stdSerializers.err },
    },
    destination,
  );
}
