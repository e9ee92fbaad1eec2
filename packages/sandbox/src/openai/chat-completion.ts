import { randomBytes } from 'node:crypto';
import { extractiveSummary, keySentences } from './extractive-summary.ts';
import { type JsonSchema, jsonFromSchema } from './json-from-schema.ts';

type ContentPart = { type?: string; text?: string };

/** The parts of a chat completion request the sandbox reads. */
export interface ChatCompletionRequest {
  model?: unknown;
  messages?: unknown;
  response_format?: { type?: string; json_schema?: { name?: string; schema?: JsonSchema; strict?: boolean } };
  max_tokens?: number | null;
  max_completion_tokens?: number | null;
  n?: number | null;
  stream?: boolean | null;
}

export interface ChatMessage {
  role: string;
  content?: string | ContentPart[] | null;
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

function textOf(content: ChatMessage['content']): string {
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) return '';
  return content
    .map((part) => (part.type === 'text' && typeof part.text === 'string' ? part.text : ''))
    .filter(Boolean)
    .join('\n');
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
  if (body.stream) return { message: 'The sandbox does not stream; send stream: false.', param: 'stream', code: null };
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

/**
 * A chat completion in OpenAI's shape whose content is derived only from the request: a
 * short extractive summary of the user messages, or JSON valid for the requested schema.
 * Plain text is cut at `max_tokens` / `max_completion_tokens` with finish_reason `length`.
 */
export function chatCompletion(body: ChatCompletionRequest, now: number) {
  const messages = body.messages as ChatMessage[];
  const userText = messages
    .filter((m) => m.role === 'user')
    .map((m) => textOf(m.content))
    .join('\n');
  const full = contentFor(body, userText);
  const limit = body.max_completion_tokens ?? body.max_tokens ?? undefined;
  const json = body.response_format?.type === 'json_schema' || body.response_format?.type === 'json_object';
  // JSON is never cut short: a truncated document would not parse.
  const truncated = limit !== undefined && !json && estimateTokens(full) > limit;
  const content = truncated ? full.slice(0, limit * 4) : full;
  const prompt = promptTokens(messages);
  const completion = estimateTokens(content);
  const choiceCount = Math.max(1, body.n ?? 1);
  return {
    id: `chatcmpl-${randomBytes(15).toString('base64url')}`,
    object: 'chat.completion',
    created: Math.floor(now / 1000),
    model: String(body.model),
    choices: Array.from({ length: choiceCount }, (_, index) => ({
      index,
      message: { role: 'assistant', content, refusal: null, annotations: [] },
      logprobs: null,
      finish_reason: truncated ? 'length' : 'stop',
    })),
    usage: {
      prompt_tokens: prompt,
      completion_tokens: completion * choiceCount,
      total_tokens: prompt + completion * choiceCount,
      prompt_tokens_details: { cached_tokens: 0, audio_tokens: 0 },
      completion_tokens_details: {
        reasoning_tokens: 0,
        audio_tokens: 0,
        accepted_prediction_tokens: 0,
        rejected_prediction_tokens: 0,
      },
    },
    service_tier: 'default',
    system_fingerprint: 'fp_sandbox',
  };
}
