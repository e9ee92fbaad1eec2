/** An error with the HTTP status and the short, safe message the client sees. */
export class HttpError extends Error {
  readonly status: number;
  /** Extra JSON fields of the answer (field errors, a reason code). */
  readonly details: Record<string, unknown>;
  constructor(status: number, message: string, details: Record<string, unknown> = {}, options?: ErrorOptions) {
    super(message, options);
    this.name = 'HttpError';
    this.status = status;
    this.details = details;
  }
}

/** A request body that does not match its schema; `fields` maps each bad field to what is wrong. */
export class BadRequestError extends HttpError {
  readonly fields: Record<string, string>;
  constructor(fields: Record<string, string>, options?: ErrorOptions) {
    const list = Object.entries(fields).map(([field, problem]) => `${field} ${problem}`);
    super(400, `invalid request: ${list.join('; ')}`, { errors: fields }, options);
    this.name = 'BadRequestError';
    this.fields = fields;
  }
}
