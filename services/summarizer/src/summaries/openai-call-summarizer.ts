import { DependencyUnavailableError } from '@series-killer/shared';
import OpenAI from 'openai';
import type { ChatCompletion, ChatCompletionCreateParamsNonStreaming } from 'openai/resources/chat/completions';
import {
  type CallAnalysis,
  type CallSummarizer,
  type CallSummary,
  callAnalysisJsonSchema,
  callAnalysisSchema,
  InvalidModelOutputError,
  type SummarizeOptions,
  SummarizerRateLimitedError,
  SummarizerRequestRejectedError,
  type TokenUsage,
} from './call-summarizer.ts';
import { estimateTokens, splitOnLines } from './transcript-chunks.ts';

export interface OpenAICallSummarizerOptions {
  /** Chat completion model, e.g. `gpt-4o-mini`. */
  model: string;
  /** Transcript tokens sent in one request (estimated at four characters a token); longer ones are chunked. Default 12,000. */
  chunkTokenBudget?: number;
}

/** Wait after a 429 without a usable `retry-after` header, in ms. */
const DEFAULT_RETRY_AFTER_MS = 1_000;

/** Tokens a part summary may use. */
const PART_SUMMARY_MAX_TOKENS = 400;

const ANALYSIS_PROMPT = [
  'You summarise phone calls between a caller and the Series Killer voice assistant.',
  'Lines start with the speaker: "Caller:" or "Assistant:".',
  'Write a short plain summary of two to four sentences, list the topics discussed and any action items,',
  "judge the caller's overall sentiment, and say whether someone should follow up with the caller.",
].join(' ');

const PART_PROMPT = [
  'You summarise one part of a longer phone call between a caller and the Series Killer voice assistant.',
  'Keep every request, promise, name, date and change of mood; leave out small talk.',
  'Answer in a few plain sentences.',
].join(' ');

const COMBINE_PROMPT = [
  'You are given summaries of consecutive parts of one phone call between a caller and the Series Killer voice assistant.',
  'Combine them into one reading of the whole call: a short plain summary of two to four sentences, the topics,',
  "the action items, the caller's overall sentiment, and whether someone should follow up with the caller.",
].join(' ');

const noUsage: TokenUsage = { promptTokens: 0, completionTokens: 0, totalTokens: 0 };

function addUsage(total: TokenUsage, completion: ChatCompletion): TokenUsage {
  return {
    promptTokens: total.promptTokens + (completion.usage?.prompt_tokens ?? 0),
    completionTokens: total.completionTokens + (completion.usage?.completion_tokens ?? 0),
    totalTokens: total.totalTokens + (completion.usage?.total_tokens ?? 0),
  };
}

/** `retry-after-ms`, else `retry-after` in seconds or as an HTTP date. */
export function retryAfterMs(headers: Headers | undefined, now = Date.now()): number {
  const ms = Number(headers?.get('retry-after-ms'));
  if (Number.isFinite(ms) && ms > 0) return ms;
  const value = headers?.get('retry-after');
  if (!value) return DEFAULT_RETRY_AFTER_MS;
  const seconds = Number(value);
  if (Number.isFinite(seconds) && seconds >= 0) return Math.max(seconds * 1_000, 1);
  const date = Date.parse(value);
  return Number.isNaN(date) ? DEFAULT_RETRY_AFTER_MS : Math.max(date - now, 1);
}

/** The code of OpenAI's 429 for an exhausted quota or billing limit, which no wait lifts. */
const INSUFFICIENT_QUOTA = 'insufficient_quota';

/** Maps the SDK's errors onto the product's: unreachable, rate limited, rejected for good, or (rethrown) worth a retry. */
export function translateOpenAIError(error: unknown): unknown {
  if (error instanceof OpenAI.APIConnectionError)
    return new DependencyUnavailableError(`OpenAI could not be reached: ${error.message}`, { cause: error });
  if (error instanceof OpenAI.RateLimitError && error.code !== INSUFFICIENT_QUOTA)
    return new SummarizerRateLimitedError(retryAfterMs(error.headers), { cause: error });
  const permanent =
    error instanceof OpenAI.RateLimitError ||
    error instanceof OpenAI.BadRequestError ||
    error instanceof OpenAI.AuthenticationError ||
    error instanceof OpenAI.PermissionDeniedError ||
    error instanceof OpenAI.NotFoundError ||
    error instanceof OpenAI.UnprocessableEntityError;
  if (permanent)
    return new SummarizerRequestRejectedError(`OpenAI rejected the request (${error.status}): ${error.message}`, {
      cause: error,
    });
  return error;
}

function parseAnalysis(completion: ChatCompletion): CallAnalysis {
  const message = completion.choices[0]?.message;
  if (message?.refusal) throw new SummarizerRequestRejectedError(`the model refused: ${message.refusal}`);
  if (!message?.content) throw new InvalidModelOutputError('empty answer');
  let json: unknown;
  try {
    json = JSON.parse(message.content);
  } catch (error) {
    throw new InvalidModelOutputError('not JSON', { cause: error });
  }
  const result = callAnalysisSchema.safeParse(json);
  if (!result.success)
    throw new InvalidModelOutputError(result.error.issues.map((i) => `${i.path.join('.')} ${i.message}`).join('; '), {
      cause: result.error,
    });
  return result.data;
}

/** Requests made and tokens used for one summary. */
interface Tally {
  usage: TokenUsage;
  requestCount: number;
}

/**
 * The CallSummarizer over OpenAI chat completions with structured outputs. A transcript over
 * the budget is summarised part by part, then the part summaries are combined into the analysis.
 * Makes no retries of its own: the summaries queue retries the job, which resumes after the
 * parts it saved.
 */
export function createOpenAICallSummarizer(client: OpenAI, options: OpenAICallSummarizerOptions): CallSummarizer {
  const budgetTokens = options.chunkTokenBudget ?? 12_000;

  async function complete(
    tally: Tally,
    params: Omit<ChatCompletionCreateParamsNonStreaming, 'model'>,
  ): Promise<ChatCompletion> {
    tally.requestCount += 1;
    try {
      const completion = await client.chat.completions.create({ ...params, model: options.model });
      tally.usage = addUsage(tally.usage, completion);
      return completion;
    } catch (error) {
      throw translateOpenAIError(error);
    }
  }

  async function summarizePart(tally: Tally, part: string, index: number, count: number): Promise<string> {
    const completion = await complete(tally, {
      messages: [
        { role: 'system', content: PART_PROMPT },
        { role: 'user', content: `Part ${index + 1} of ${count}:\n\n${part}` },
      ],
      // Part summaries stay short, so that together they fit one combining request.
      max_completion_tokens: PART_SUMMARY_MAX_TOKENS,
    });
    const content = completion.choices[0]?.message.content?.trim();
    if (!content) throw new InvalidModelOutputError(`empty summary of part ${index + 1}`);
    return `Part ${index + 1}: ${content.replace(/\n+/g, ' ')}`;
  }

  async function analyse(tally: Tally, systemPrompt: string, text: string): Promise<CallAnalysis> {
    const completion = await complete(tally, {
      messages: [
        { role: 'system', content: systemPrompt },
        { role: 'user', content: text },
      ],
      response_format: {
        type: 'json_schema',
        json_schema: { name: 'call_analysis', strict: true, schema: callAnalysisJsonSchema },
      },
    });
    return parseAnalysis(completion);
  }

  function callSummary(analysis: CallAnalysis, tally: Tally): CallSummary {
    return { analysis, model: options.model, usage: tally.usage, requestCount: tally.requestCount };
  }

  async function summarizeWhole(transcript: string): Promise<CallSummary> {
    const tally: Tally = { usage: noUsage, requestCount: 0 };
    return callSummary(await analyse(tally, ANALYSIS_PROMPT, transcript), tally);
  }

  /**
   * Summarises the parts one after another (a burst of parallel requests would only meet the
   * rate limit sooner), saving after each so that a retry goes on from there, then combines them.
   */
  async function summarizeInParts(transcript: string, progress: SummarizeOptions): Promise<CallSummary> {
    const partChars = budgetTokens * 4;
    const parts = splitOnLines(transcript, partChars);
    const resumed = progress.resumeFrom?.partChars === partChars ? progress.resumeFrom : undefined;
    const tally: Tally = { usage: resumed?.usage ?? noUsage, requestCount: resumed?.requestCount ?? 0 };
    const summaries = [...(resumed?.parts ?? [])];
    for (let index = summaries.length; index < parts.length; index += 1) {
      summaries.push(await summarizePart(tally, parts[index] as string, index, parts.length));
      await progress.savePartial?.({ partChars, parts: [...summaries], ...tally });
    }
    return callSummary(await analyse(tally, COMBINE_PROMPT, summaries.join('\n')), tally);
  }

  return {
    summarize: (transcript, progress = {}) =>
      estimateTokens(transcript) <= budgetTokens ? summarizeWhole(transcript) : summarizeInParts(transcript, progress),
  };
}
