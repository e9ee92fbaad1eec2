export type {
  CallAnalysis,
  CallSummarizer,
  CallSummary,
} from './summaries/call-summarizer.ts';
export { createOpenAICallSummarizer } from './summaries/openai-call-summarizer.ts';
export {
  type SummarizerWorkers,
  type SummarizerWorkersOptions,
  startSummarizerWorkers,
} from './summarizer-workers.ts';
