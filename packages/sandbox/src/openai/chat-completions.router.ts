import { once } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import express, { type ErrorRequestHandler, type Response, Router } from 'express';
import { clientErrorStatus } from '../http/client-error.ts';
import type { BoundedLog } from '../log/bounded-log.ts';
import { newSid } from '../twilio/sids.ts';
import {
  answerFor,
  type ChatCompletionRequest,
  chatCompletion,
  type InvalidRequest,
  promptTokens,
  validateRequest,
} from './chat-completion.ts';
import { streamChatCompletion } from './chat-completion-stream.ts';
import type { ChatMessage } from './chat-message.ts';
import type { OpenAIModeState } from './openai-mode.ts';
import type { StreamStats } from './stream-stats.ts';

export interface OpenAIRouterDeps {
  mode: OpenAIModeState;
  /** Every chat completion request body received, failed ones included. */
  requests: BoundedLog<Record<string, unknown>>;
  streams: StreamStats;
  /** Aborted when the sandbox closes. */
  signal: AbortSignal;
}

function sendError(
  res: Response,
  status: number,
  error: { message: string; type: string; param: string | null; code: string | null },
): void {
  res.status(status).json({ error });
}

function invalid(res: Response, problem: InvalidRequest): void {
  sendError(res, 400, { ...problem, type: 'invalid_request_error' });
}

function sendFailure(res: Response, status: 400 | 401 | 429 | 500, model: string, retryAfterMs: number): void {
  if (status === 429) {
    res.set('retry-after', String(Math.ceil(retryAfterMs / 1000)));
    res.set('retry-after-ms', String(retryAfterMs));
    sendError(res, 429, {
      message: `Rate limit reached for ${model} in organization org-sandbox on requests per min (RPM): Limit 3, Used 3, Requested 1. Please try again in ${retryAfterMs}ms.`,
      type: 'requests',
      param: null,
      code: 'rate_limit_exceeded',
    });
    return;
  }
  if (status === 401) {
    sendError(res, 401, {
      message: 'Incorrect API key provided. You can find your API key at https://platform.openai.com/account/api-keys.',
      type: 'invalid_request_error',
      param: null,
      code: 'invalid_api_key',
    });
    return;
  }
  if (status === 400) {
    invalid(res, { message: 'The request was rejected by the sandbox’s failure switch.', param: null, code: null });
    return;
  }
  sendError(res, 500, {
    message: 'The server had an error while processing your request. Sorry about that!',
    type: 'server_error',
    param: null,
    code: null,
  });
}

/** OpenAI's `POST /v1/chat/completions`, deterministic, with failure switches and a request log. */
export function chatCompletionsRouter(deps: OpenAIRouterDeps): Router {
  const router = Router();
  router.use(express.json({ limit: '10mb' }));
  router.use((_req, res, next) => {
    res.set('x-request-id', `req_${newSid('')}`);
    res.set('openai-version', '2020-10-01');
    next();
  });

  router.post('/chat/completions', async (req, res) => {
    const body = (req.body ?? {}) as ChatCompletionRequest & Record<string, unknown>;
    deps.requests.push(body);
    const started = Date.now();
    if (deps.mode.latencyMs > 0) await sleep(deps.mode.latencyMs, undefined, { signal: deps.signal });
    if (!/^Bearer\s+\S+/i.test(req.headers.authorization ?? '')) {
      sendFailure(res, 401, String(body.model), 0);
      return;
    }
    const failure = deps.mode.takeFailure();
    if (failure !== undefined && failure !== 'hang') {
      sendFailure(res, failure, String(body.model ?? 'gpt-4o-mini'), deps.mode.retryAfterMs);
      return;
    }
    const problem = validateRequest(body);
    if (problem) {
      invalid(res, problem);
      return;
    }
    const tokens = promptTokens(body.messages as ChatMessage[]);
    if (tokens > deps.mode.contextWindowTokens) {
      invalid(res, {
        message: `This model's maximum context length is ${deps.mode.contextWindowTokens} tokens. However, your messages resulted in ${tokens} tokens. Please reduce the length of the messages.`,
        param: 'messages',
        code: 'context_length_exceeded',
      });
      return;
    }
    res.set('openai-processing-ms', String(Date.now() - started));
    if (!body.stream && failure === 'hang') {
      // Never answered: the request ends when the client gives up (or the sandbox closes).
      await once(res, 'close');
      return;
    }
    if (!body.stream) {
      res.json(chatCompletion(body, Date.now()));
      return;
    }
    const timing = {
      firstTokenMs: deps.mode.firstTokenMs,
      interTokenMs: deps.mode.interTokenMs,
      hang: failure === 'hang',
    };
    await streamChatCompletion(res, body, answerFor(body), tokens, timing, deps.streams);
  });

  router.use(((error: unknown, _req, res, next) => {
    if (clientErrorStatus(error) === undefined) {
      next(error);
      return;
    }
    invalid(res, {
      message: 'We could not parse the JSON body of your request.',
      param: null,
      code: null,
    });
  }) as ErrorRequestHandler);

  router.use((req, res) => {
    sendError(res, 404, {
      message: `Invalid URL (${req.method} ${req.originalUrl})`,
      type: 'invalid_request_error',
      param: null,
      code: null,
    });
  });
  return router;
}
