/** Node's network error codes for a peer that cannot be reached or went away mid-request. */
const NETWORK_ERROR_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
]);

/**
 * Postgres SQLSTATEs of a server that is away rather than of a statement it refused: shutdown and
 * failover (57P01 admin shutdown, 57P02 crash shutdown, 57P03 cannot connect now), no room for a
 * connection (53300), a demoted primary still answering after a failover (25006 read-only
 * transaction). Class 08 (connection exception) is matched by its prefix.
 */
const POSTGRES_UNAVAILABLE_CODES = new Set(['57P01', '57P02', '57P03', '53300', '25006']);

/** What pg and ioredis say, without a code, when their connection is gone or never came. */
const CONNECTION_LOST_MESSAGES = [
  /^Connection terminated/,
  /^timeout exceeded when trying to connect/,
  /^Client has encountered a connection error and is not queryable/,
  /^Connection is closed/,
  /^Reached the max retries per request limit/,
  /^Stream isn't writeable/,
];

/**
 * Whether `error` (or an error in its cause chain) says a dependency could not be reached:
 * Postgres, Redis, Twilio or OpenAI down, restarting or failing over. Such a job will succeed
 * once the dependency is back, whatever it holds; any other error may be about the job itself.
 */
export function isDependencyUnavailable(error: unknown, depth = 0): boolean {
  // Read by shape, not instanceof: errors of a library loaded in another realm are Errors too.
  if (typeof error !== 'object' || error === null || depth > 5) return false;
  const { name, code, message, errors, cause } = error as Record<string, unknown>;
  if (name === 'DependencyUnavailableError') return true;
  if (typeof code === 'string' && isUnavailableCode(code)) return true;
  if (typeof message === 'string' && CONNECTION_LOST_MESSAGES.some((pattern) => pattern.test(message))) return true;
  // Node reports a refused connection to each of a name's addresses as one AggregateError.
  if (Array.isArray(errors) && errors.some((inner) => isDependencyUnavailable(inner, depth + 1))) return true;
  return isDependencyUnavailable(cause, depth + 1);
}

function isUnavailableCode(code: string): boolean {
  return NETWORK_ERROR_CODES.has(code) || POSTGRES_UNAVAILABLE_CODES.has(code) || /^08[0-9A-Z]{3}$/.test(code);
}
