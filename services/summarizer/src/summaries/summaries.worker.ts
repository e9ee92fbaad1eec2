import type { Db, JobHandlers, Logger, Queues } from '@series-killer/shared';
import { type Job, Worker } from 'bullmq';
import { type CallSummarizer, SummarizerRateLimitedError } from './call-summarizer.ts';
import { type SummaryProgressStore, savedPartialSummarySchema, summarizeCall } from './summarize-call.ts';

/** The job's progress is where a summary in parts keeps the parts it finished. */
function progressOn(job: Job): SummaryProgressStore {
  const saved = savedPartialSummarySchema.safeParse(job.progress);
  return {
    saved: saved.success ? saved.data : undefined,
    save: (partial) => job.updateProgress(partial),
  };
}

/**
 * The `summaries` queue. A 429 pauses the whole queue for the provider's `retry-after` and
 * puts the job back without spending one of its attempts.
 */
export interface SummariesWorkerDeps {
  db: Db;
  queues: Queues;
  summarizer: CallSummarizer;
  logger: Logger;
}

export function summariesHandlers({ db, queues, summarizer, logger }: SummariesWorkerDeps): JobHandlers<'summaries'> {
  return {
    'summarize-call': async (data, job) => {
      try {
        const result = await summarizeCall(db, summarizer, data.callSid, progressOn(job));
        if (result.outcome === 'summarized')
          logger.info(
            { callSid: data.callSid, requests: result.requestCount, tokens: result.totalTokens },
            'call summarised',
          );
        return result;
      } catch (error) {
        if (!(error instanceof SummarizerRateLimitedError)) throw error;
        await queues.summaries.rateLimit(error.retryAfterMs);
        throw Worker.RateLimitError();
      }
    },
  };
}
