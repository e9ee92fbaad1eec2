import type OpenAI from 'openai';
import type {
  ChatCompletionChunk,
  ChatCompletionFunctionTool,
  ChatCompletionMessageParam,
} from 'openai/resources/chat/completions';
import { readServerSentEvents, type ServerSentEvent } from './server-sent-events.ts';

/** A function call the model asked for, assembled from the stream's pieces. */
export interface ReplyToolCall {
  id: string;
  name: string;
  arguments: string;
}

export interface ReplyRequest {
  model: string;
  messages: ChatCompletionMessageParam[];
  tools: ChatCompletionFunctionTool[];
  /** Milliseconds the model has to start answering. */
  firstTokenTimeoutMs: number;
}

/** The model did not start answering in time. */
export class FirstTokenTimeoutError extends Error {
  constructor(timeoutMs: number) {
    super(`the model sent nothing within ${timeoutMs} ms`);
    this.name = 'FirstTokenTimeoutError';
  }
}

/** The model failed to answer (a 429, a 5xx, a dropped stream, a timeout); `cause` says how. */
export class ModelReplyError extends Error {
  constructor(options: ErrorOptions) {
    super(`the model failed to reply: ${(options.cause as Error | undefined)?.message ?? 'unknown error'}`, options);
    this.name = 'ModelReplyError';
  }
}

/** The model reported an error in the middle of its stream (an `error` event or an error payload). */
export class ModelStreamError extends Error {
  constructor(message: string) {
    super(`the model's stream reported an error: ${message}`);
    this.name = 'ModelStreamError';
  }
}

type ToolCallDelta = NonNullable<ChatCompletionChunk['choices'][number]['delta']['tool_calls']>[number];

function collectToolCall(calls: Map<number, ReplyToolCall>, delta: ToolCallDelta) {
  const call = calls.get(delta.index) ?? { id: '', name: '', arguments: '' };
  if (delta.id) call.id = delta.id;
  if (delta.function?.name) call.name += delta.function.name;
  if (delta.function?.arguments) call.arguments += delta.function.arguments;
  calls.set(delta.index, call);
}

/** A chunk of the stream; an event that carries an error instead throws it as ModelStreamError. */
function parseChunk({ event, data }: ServerSentEvent): ChatCompletionChunk {
  let parsed: ChatCompletionChunk & { error?: { message?: string } };
  try {
    parsed = JSON.parse(data);
  } catch {
    throw new ModelStreamError('an event that is not JSON');
  }
  if (event === 'error' || parsed.error) throw new ModelStreamError(parsed.error?.message ?? 'unknown error');
  return parsed;
}

/**
 * Streams one chat completion: `onToken` gets each content token as it arrives; resolves with the
 * tool calls the model made, if any. `signal` cancels the request and the stream at once (an
 * interrupt): no token is handed on after it. A model that sends nothing within
 * `firstTokenTimeoutMs` is cancelled too. Any failure other than the caller's own abort is thrown
 * as ModelReplyError.
 *
 * The SDK sends the request (authentication, errors by status) and the body is read here, one
 * event at a time, without the SDK's stream of parsed chunks: see `readServerSentEvents`.
 */
export async function streamReply(
  openai: OpenAI,
  request: ReplyRequest,
  signal: AbortSignal,
  onToken: (text: string) => void,
): Promise<ReplyToolCall[]> {
  const timeout = new AbortController();
  const timer = setTimeout(
    () => timeout.abort(new FirstTokenTimeoutError(request.firstTokenTimeoutMs)),
    request.firstTokenTimeoutMs,
  );
  const calls = new Map<number, ReplyToolCall>();
  const cancelled = AbortSignal.any([signal, timeout.signal]);
  try {
    const response = await openai.chat.completions
      .create(
        { model: request.model, messages: request.messages, tools: request.tools, stream: true },
        { signal: cancelled },
      )
      .asResponse();
    if (!response.body) throw new ModelStreamError('a response without a body');
    await readServerSentEvents(response.body, (event) => {
      if (cancelled.aborted || event.data === '[DONE]') return 'stop';
      clearTimeout(timer);
      const delta = parseChunk(event).choices[0]?.delta;
      if (delta?.content) onToken(delta.content);
      for (const call of delta?.tool_calls ?? []) collectToolCall(calls, call);
      return undefined;
    });
    if (timeout.signal.aborted && !signal.aborted) throw timeout.signal.reason;
  } catch (error) {
    if (signal.aborted) throw error;
    throw new ModelReplyError({ cause: timeout.signal.aborted ? timeout.signal.reason : error });
  } finally {
    clearTimeout(timer);
  }
  return [...calls.values()];
}
