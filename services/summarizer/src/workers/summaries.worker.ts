import type { Db, JobHandlers, Queues } from '@series-killer/shared';
import { Worker } from 'bullmq';
import { type CallSummarizer, SummarizerRateLimitedError } from '../summaries/call-summarizer.ts';
import { summarizeCall } from '../summaries/summarize-call.ts';

/**
 * The `summaries` queue. A 429 pauses the whole queue for the provider's `retry-after` and
 * puts the job back without spending one of its attempts.
 */
export function summariesHandlers(db: Db, queues: Queues, summarizer: CallSummarizer): JobHandlers<'summaries'> {
  return {
    'summarize-call': async (data) => {
      try {
        return await summarizeCall(db, summarizer, data.callSid);
      } catch (error) {
        if (!(error instanceof SummarizerRateLimitedError)) throw error;
        await queues.summaries.rateLimit(error.retryAfterMs);
        throw Worker.RateLimitError();
      }
    },
  };
}
