import { randomBytes } from 'node:crypto';
import { type ChatMessage, textOf } from './chat-message.ts';
import { type ConversationReply, conversationReply } from './conversation-reply.ts';
import { extractiveSummary, keySentences } from './extractive-summary.ts';
import { type JsonSchema, jsonFromSchema } from './json-from-schema.ts';

/** The parts of a chat completion request the sandbox reads. */
export interface ChatCompletionRequest {
  model?: unknown;
  messages?: unknown;
  response_format?: { type?: string; json_schema?: { name?: string; schema?: JsonSchema; strict?: boolean } };
  max_tokens?: number | null;
  max_completion_tokens?: number | null;
  n?: number | null;
  stream?: boolean | null;
  stream_options?: { include_usage?: boolean | null } | null;
  tools?: unknown;
  tool_choice?: unknown;
}

/** A request OpenAI would refuse, with the error it would send. */
export interface InvalidRequest {
  message: string;
  param: string | null;
  code: string | null;
}

/** OpenAI's rough rule: a token is about four characters of English. */
export function estimateTokens(text: string): number {
  return Math.ceil(text.length / 4);
}

/** Prompt tokens as OpenAI counts them: the text plus a few tokens of framing per message. */
export function promptTokens(messages: ChatMessage[]): number {
  return 3 + messages.reduce((sum, m) => sum + 3 + estimateTokens(m.role) + estimateTokens(textOf(m.content)), 0);
}

export function validateRequest(body: ChatCompletionRequest): InvalidRequest | undefined {
  if (typeof body.model !== 'string' || body.model === '')
    return { message: 'you must provide a model parameter', param: null, code: null };
  if (!Array.isArray(body.messages))
    return {
      message: "Missing required parameter: 'messages'.",
      param: 'messages',
      code: 'missing_required_parameter',
    };
  if (body.messages.length === 0) return { message: "[] is too short - 'messages'", param: 'messages', code: null };
  const invalid = (body.messages as unknown[]).findIndex(
    (m) => typeof m !== 'object' || m === null || typeof (m as ChatMessage).role !== 'string',
  );
  if (invalid >= 0)
    return { message: `Invalid value for 'messages[${invalid}]'.`, param: `messages[${invalid}]`, code: null };
  if (body.stream_options != null && !body.stream)
    return {
      message: "The 'stream_options' parameter is only allowed when 'stream' is enabled.",
      param: 'stream_options',
      code: null,
    };
  const format = body.response_format;
  if (format?.type === 'json_schema' && typeof format.json_schema?.schema !== 'object')
    return {
      message: "Missing required parameter: 'response_format.json_schema.schema'.",
      param: 'response_format.json_schema.schema',
      code: 'missing_required_parameter',
    };
  return undefined;
}

function contentFor(body: ChatCompletionRequest, userText: string): string {
  const summary = extractiveSummary(userText);
  const format = body.response_format;
  if (format?.type === 'json_schema' && format.json_schema?.schema) {
    return JSON.stringify(jsonFromSchema(format.json_schema.schema, { summary, sentences: keySentences(userText) }));
  }
  if (format?.type === 'json_object') return JSON.stringify({ summary });
  return summary;
}

function isJson(body: ChatCompletionRequest): boolean {
  return body.response_format?.type === 'json_schema' || body.response_format?.type === 'json_object';
}

/**
 * What the model answers, derived only from the request. A stream or a request offering
 * `tools` is a conversation: it gets a conversational reply or a function call (see
 * `conversationReply`); any other request gets a short extractive summary of the user
 * messages, or JSON valid for the requested schema.
 */
export function answerFor(body: ChatCompletionRequest): ConversationReply {
  const messages = body.messages as ChatMessage[];
  const offersTools = Array.isArray(body.tools) && body.tools.length > 0;
  if ((body.stream || offersTools) && !isJson(body)) return conversationReply(messages, body.tools, body.tool_choice);
  const userText = messages
    .filter((m) => m.role === 'user')
    .map((m) => textOf(m.content))
    .join('\n');
  return { kind: 'text', text: contentFor(body, userText) };
}

/** `max_tokens` / `max_completion_tokens`, whichever the request sets. */
export function completionLimit(body: ChatCompletionRequest): number | undefined {
  return body.max_completion_tokens ?? body.max_tokens ?? undefined;
}

export function newCompletionId(): string {
  return `chatcmpl-${randomBytes(15).toString('base64url')}`;
}

export function newToolCallId(): string {
  return `call_${randomBytes(18).toString('base64url')}`;
}

/** OpenAI's usage object. */
export function usageOf(promptTokenCount: number, completionTokenCount: number) {
  return {
    prompt_tokens: promptTokenCount,
    completion_tokens: completionTokenCount,
    total_tokens: promptTokenCount + completionTokenCount,
    prompt_tokens_details: { cached_tokens: 0, audio_tokens: 0 },
    completion_tokens_details: {
      reasoning_tokens: 0,
      audio_tokens: 0,
      accepted_prediction_tokens: 0,
      rejected_prediction_tokens: 0,
    },
  };
}

function messageOf(answer: ConversationReply, limit: number | undefined, json: boolean) {
  if (answer.kind === 'tool_call') {
    const call = {
      id: newToolCallId(),
      type: 'function',
      function: { name: answer.name, arguments: answer.arguments },
    };
    const message = { role: 'assistant', content: null, tool_calls: [call], refusal: null, annotations: [] };
    return { message, finishReason: 'tool_calls', tokens: estimateTokens(answer.arguments) };
  }
  // JSON is never cut short: a truncated document would not parse.
  const truncated = limit !== undefined && !json && estimateTokens(answer.text) > limit;
  const content = truncated ? answer.text.slice(0, limit * 4) : answer.text;
  const message = { role: 'assistant', content, refusal: null, annotations: [] };
  return { message, finishReason: truncated ? 'length' : 'stop', tokens: estimateTokens(content) };
}

/**
 * A chat completion in OpenAI's shape carrying `answerFor(body)`. Plain text is cut at
 * `max_tokens` / `max_completion_tokens` with finish_reason `length`.
 */
export function chatCompletion(body: ChatCompletionRequest, now: number) {
  const messages = body.messages as ChatMessage[];
  const answer = answerFor(body);
  const choiceCount = Math.max(1, body.n ?? 1);
  const drafts = Array.from({ length: choiceCount }, () => messageOf(answer, completionLimit(body), isJson(body)));
  const choices = drafts.map((draft, index) => ({
    index,
    message: draft.message,
    logprobs: null,
    finish_reason: draft.finishReason,
  }));
  const completionTokens = drafts.reduce((sum, draft) => sum + draft.tokens, 0);
  return {
    id: newCompletionId(),
    object: 'chat.completion',
    created: Math.floor(now / 1000),
    model: String(body.model),
    choices,
    usage: usageOf(promptTokens(messages), completionTokens),
    service_tier: 'default',
    system_fingerprint: 'fp_sandbox',
  };
}
