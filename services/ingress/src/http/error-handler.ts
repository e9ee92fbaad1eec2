import { type Logger, PayloadValidationError } from '@series-killer/shared';
import type { ErrorRequestHandler, RequestHandler } from 'express';
import { EnqueueError } from '../enqueue/job-batcher.ts';
import { HttpError } from './http-errors.ts';

/** What body-parser attaches to the errors it raises. */
interface BodyParserError {
  status?: number;
  type?: string;
}

function toHttpError(error: unknown): HttpError | undefined {
  if (error instanceof HttpError) return error;
  if (error instanceof EnqueueError) {
    return new HttpError(503, 'the job queue is unavailable; retry later', {}, { cause: error });
  }
  if (error instanceof PayloadValidationError) {
    return new HttpError(400, error.message, { errors: error.issues }, { cause: error });
  }
  const { status, type } = (error ?? {}) as BodyParserError;
  if (type === 'entity.too.large') return new HttpError(413, 'request body too large', {}, { cause: error });
  if (typeof status === 'number' && status >= 400 && status < 500 && typeof type === 'string') {
    return new HttpError(status, `unreadable request body (${type})`, {}, { cause: error });
  }
  return undefined;
}

/** JSON 404 for every path no route answers. */
export const notFound: RequestHandler = (req) => {
  throw new HttpError(404, `no route for ${req.method} ${req.path}`);
};

/** Answers every error as short JSON; stack traces stay in the log. */
export function errorHandler(logger: Logger): ErrorRequestHandler {
  return (error: unknown, req, res, next) => {
    // Once an answer has started, Express can only cut the connection.
    if (res.headersSent) return next(error);
    const httpError = toHttpError(error);
    if (!httpError) {
      logger.error({ err: error, method: req.method, path: req.path }, 'request failed');
      res.status(500).json({ error: 'internal error' });
      return;
    }
    if (httpError.status === 503) {
      logger.warn({ err: error, path: req.path }, 'enqueue failed');
      res.set('Retry-After', '1');
    }
    res.status(httpError.status).json({ error: httpError.message, ...httpError.details });
  };
}
