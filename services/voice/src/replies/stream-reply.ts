import type OpenAI from 'openai';
import type { ChatCompletionFunctionTool, ChatCompletionMessageParam } from 'openai/resources/chat/completions';

/** What a streamed reply yields: spoken tokens as they come, then the tool calls the model made, if any. */
export type ReplyEvent =
  | { type: 'token'; text: string }
  | { type: 'tool-calls'; calls: { id: string; name: string; arguments: string }[] };

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

type ToolCallDelta = { index: number; id?: string; function?: { name?: string; arguments?: string } };

function collectToolCall(calls: Map<number, { id: string; name: string; arguments: string }>, delta: ToolCallDelta) {
  const call = calls.get(delta.index) ?? { id: '', name: '', arguments: '' };
  if (delta.id) call.id = delta.id;
  if (delta.function?.name) call.name += delta.function.name;
  if (delta.function?.arguments) call.arguments += delta.function.arguments;
  calls.set(delta.index, call);
}

/**
 * Streams one chat completion: each content token as it arrives, then the assembled tool calls.
 * `signal` cancels the request and the stream at once (an interrupt); a model that sends nothing
 * within `firstTokenTimeoutMs` is cancelled too. Any failure other than the caller's own abort
 * is thrown as ModelReplyError.
 */
export async function* streamReply(
  openai: OpenAI,
  request: ReplyRequest,
  signal: AbortSignal,
): AsyncGenerator<ReplyEvent> {
  const timeout = new AbortController();
  const timer = setTimeout(
    () => timeout.abort(new FirstTokenTimeoutError(request.firstTokenTimeoutMs)),
    request.firstTokenTimeoutMs,
  );
  const calls = new Map<number, { id: string; name: string; arguments: string }>();
  try {
    const stream = await openai.chat.completions.create(
      { model: request.model, messages: request.messages, tools: request.tools, stream: true },
      { signal: AbortSignal.any([signal, timeout.signal]) },
    );
    for await (const chunk of stream) {
      clearTimeout(timer);
      const delta = chunk.choices[0]?.delta;
      if (!delta) continue;
      if (delta.content) yield { type: 'token', text: delta.content };
      for (const call of delta.tool_calls ?? []) collectToolCall(calls, call);
    }
    // The SDK ends a stream's iteration quietly when its request is aborted.
    if (timeout.signal.aborted && !signal.aborted) throw timeout.signal.reason;
  } catch (error) {
    if (signal.aborted) throw error;
    throw new ModelReplyError({ cause: timeout.signal.aborted ? timeout.signal.reason : error });
  } finally {
    clearTimeout(timer);
  }
  if (calls.size > 0) yield { type: 'tool-calls', calls: [...calls.values()] };
}
