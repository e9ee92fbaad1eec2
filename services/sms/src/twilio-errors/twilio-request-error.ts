/**
 * A Twilio REST call failed. Holds only what is safe to log or keep in a failed job: the SDK's
 * own error also carries the request it made, `Authorization: Basic base64(AccountSid:AuthToken)`
 * included, so it is never passed on as is.
 */
export class TwilioRequestError extends Error {
  /** HTTP status of Twilio's answer; undefined when Twilio was not reached. */
  readonly status?: number;
  /** Twilio's error code (21211, 20429, …), or the network error's code (ECONNREFUSED, …). */
  readonly code?: number | string;
  /** Twilio's link to the error's documentation. */
  readonly moreInfo?: string;

  constructor(operation: string, error: unknown) {
    const failure = safeCopy(error);
    super(`Twilio ${operation} failed: ${failure.message}`, { cause: failure });
    this.name = 'TwilioRequestError';
    const { status, code, moreInfo } = (error instanceof Error ? error : {}) as Record<string, unknown>;
    if (typeof status === 'number') this.status = status;
    if (typeof code === 'number' || typeof code === 'string') this.code = code;
    if (typeof moreInfo === 'string') this.moreInfo = moreInfo;
  }
}

/** Runs one Twilio SDK call, turning its failure into a TwilioRequestError. */
export async function callTwilio<T>(operation: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    throw new TwilioRequestError(operation, error);
  }
}

/** The error's name, message, code and cause chain, without the request it came from. */
function safeCopy(error: unknown, depth = 0): Error {
  if (!(error instanceof Error)) return new Error(String(error));
  const cause = error.cause !== undefined && depth < 5 ? { cause: safeCopy(error.cause, depth + 1) } : undefined;
  const copy = new Error(error.message, cause);
  copy.name = error.name;
  const { code } = error as Error & { code?: unknown };
  if (typeof code === 'number' || typeof code === 'string') Object.assign(copy, { code });
  return copy;
}
