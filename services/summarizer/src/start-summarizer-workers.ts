import { type ConfigOf, createLogger, createWorker, type Logger, openWorkerProcess } from '@series-killer/shared';
import { createOpenAIClient } from '@series-killer/shared/openai';
import { callsHandlers } from './calls/calls.worker.ts';
import type { CallSummarizer } from './summaries/call-summarizer.ts';
import { createOpenAICallSummarizer } from './summaries/openai-call-summarizer.ts';
import { summariesHandlers } from './summaries/summaries.worker.ts';

/** The configuration sections the summarizer workers read. */
export type SummarizerWorkersConfig = ConfigOf<'database' | 'redis' | 'openai' | 'workers' | 'transcripts'>;

export interface StartSummarizerWorkersOptions {
  /** Default: a `summarizer` logger at `config.logLevel`. */
  logger?: Logger;
  /** Transcript tokens per OpenAI request (about four characters a token); longer transcripts are summarised in chunks. Default 12,000. */
  chunkTokenBudget?: number;
  /**
   * Summary jobs started per second across every summarizer process. It also makes a 429's
   * `retry-after` pause every process, not only the one that met it. Default 20.
   */
  summariesPerSecond?: number;
  /** Per OpenAI request, in ms. Default 60,000. */
  openaiTimeoutMs?: number;
}

export interface SummarizerWorkers {
  /** Stops taking jobs, waits for the running ones, and closes every connection. */
  close(): Promise<void>;
}

/**
 * Starts the `calls` and `summaries` workers with their own connections, each running
 * `config.workers.concurrency` jobs at once.
 */
export async function startSummarizerWorkers(
  config: SummarizerWorkersConfig,
  options: StartSummarizerWorkersOptions = {},
): Promise<SummarizerWorkers> {
  const logger = options.logger ?? createLogger('summarizer', config.logLevel);
  const workerProcess = openWorkerProcess(config, 'summarizer', logger);
  const { db, queues } = workerProcess;
  // No retries inside the SDK: BullMQ retries the job with jittered backoff instead.
  const openai = createOpenAIClient(config.openai, { maxRetries: 0, timeoutMs: options.openaiTimeoutMs });
  const summarizer: CallSummarizer = createOpenAICallSummarizer(openai, {
    model: config.openai.model,
    chunkTokenBudget: options.chunkTokenBudget,
  });

  const common = workerProcess.workerOptions;
  await workerProcess.run([
    createWorker('calls', callsHandlers({ db, queues, transcriptGapGraceMs: config.transcripts.gapGraceMs }), common),
    createWorker('summaries', summariesHandlers({ db, queues, summarizer, logger }), {
      ...common,
      limiter: { max: options.summariesPerSecond ?? 20, duration: 1_000 },
    }),
  ]);
  logger.info({ concurrency: config.workers.concurrency }, 'summarizer workers started');
  return { close: () => workerProcess.close() };
}
