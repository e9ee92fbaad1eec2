import { z } from 'zod';

export const SENTIMENTS = ['positive', 'neutral', 'negative', 'mixed'] as const;

/** The model's structured reading of a call. */
export const callAnalysisSchema = z.strictObject({
  summary: z.string().trim().min(1),
  topics: z.array(z.string()),
  actionItems: z.array(z.string()),
  sentiment: z.enum(SENTIMENTS),
  followUpNeeded: z.boolean(),
});
export type CallAnalysis = z.output<typeof callAnalysisSchema>;

/** The same shape as a strict JSON Schema for OpenAI structured outputs. */
export const callAnalysisJsonSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['summary', 'topics', 'actionItems', 'sentiment', 'followUpNeeded'],
  properties: {
    summary: { type: 'string', description: 'A short plain-language summary of the call, two to four sentences.' },
    topics: { type: 'array', items: { type: 'string' }, description: 'The subjects the call was about.' },
    actionItems: { type: 'array', items: { type: 'string' }, description: 'Things someone promised or needs to do.' },
    sentiment: { type: 'string', enum: [...SENTIMENTS], description: "The caller's overall sentiment." },
    followUpNeeded: { type: 'boolean', description: 'Whether someone should get back to the caller.' },
  },
} as const;

export interface TokenUsage {
  promptTokens: number;
  completionTokens: number;
  totalTokens: number;
}

export interface CallSummary {
  analysis: CallAnalysis;
  model: string;
  /** Summed over every request made for this summary. */
  usage: TokenUsage;
  requestCount: number;
}

/**
 * How far a summary in parts got, so that a retry resumes instead of requesting the finished
 * parts again: the part summaries so far, in order, and what they cost.
 */
export const partialSummarySchema = z.object({
  /** Characters per part; parts cut at another size do not line up, so they are not resumed. */
  partChars: z.number().int().positive(),
  parts: z.array(z.string()),
  usage: z.object({ promptTokens: z.number(), completionTokens: z.number(), totalTokens: z.number() }),
  requestCount: z.number().int().min(0),
});
export type PartialSummary = z.output<typeof partialSummarySchema>;

export interface SummarizeOptions {
  /** What an earlier attempt at the same transcript finished; its parts are not requested again. Default: nothing. */
  resumeFrom?: PartialSummary;
  /** Called after each part summary with everything finished so far. Default: nothing is saved. */
  savePartial?: (partial: PartialSummary) => Promise<void>;
}

/** Summarises a call transcript. The product's one narrow view of the language model. */
export interface CallSummarizer {
  summarize(transcript: string, options?: SummarizeOptions): Promise<CallSummary>;
}

/** The model provider asked us to slow down; retry after `retryAfterMs`. */
export class SummarizerRateLimitedError extends Error {
  readonly retryAfterMs: number;
  constructor(retryAfterMs: number, options?: ErrorOptions) {
    super(`the model provider is rate limiting requests; retry in ${retryAfterMs} ms`, options);
    this.name = 'SummarizerRateLimitedError';
    this.retryAfterMs = retryAfterMs;
  }
}

/** The model provider refused the request for a reason a retry cannot fix (bad request, credentials). */
export class SummarizerRequestRejectedError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'SummarizerRequestRejectedError';
  }
}

/** The model answered, but not with a valid analysis; worth another attempt. */
export class InvalidModelOutputError extends Error {
  constructor(reason: string, options?: ErrorOptions) {
    super(`the model's answer is not a valid call analysis: ${reason}`, options);
    this.name = 'InvalidModelOutputError';
  }
}
