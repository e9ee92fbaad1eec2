/** The parts of a Twilio REST error the SMS worker acts on. */
export interface TwilioApiError {
  /** HTTP status of Twilio's answer. */
  status: number;
  /** Twilio's error code (21211, 20429, …), when the body carried one. */
  code?: number;
}

/**
 * Reads a Twilio REST error (a TwilioRequestError, the SDK's RestException or its RFC 9457 TwilioServiceException:
 * both carry a numeric HTTP `status`). Anything else (a refused connection, a timeout) is
 * not an answer from Twilio and yields undefined.
 */
export function asTwilioApiError(error: unknown): TwilioApiError | undefined {
  if (!(error instanceof Error)) return undefined;
  const { status, code } = error as Error & { status?: unknown; code?: unknown };
  if (typeof status !== 'number') return undefined;
  return typeof code === 'number' ? { status, code } : { status };
}
