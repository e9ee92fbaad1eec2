export {
  type StartSummarizerWorkersOptions,
  type SummarizerWorkers,
  startSummarizerWorkers,
} from './start-summarizer-workers.ts';
export type {
  CallAnalysis,
  CallSummarizer,
  CallSummary,
} from './summaries/call-summarizer.ts';
export { createOpenAICallSummarizer } from './summaries/openai-call-summarizer.ts';
