import { createHash } from 'node:crypto';
import type { Db } from '@series-killer/shared';
import { UnrecoverableError } from 'bullmq';
import { findCallForSummary, hasAnalysisOf, saveCallSummary } from './call-analyses.repository.ts';
import { type CallSummarizer, type CallSummary, SummarizerRequestRejectedError } from './call-summarizer.ts';

export type SummarizeCallResult =
  | { outcome: 'summarized'; requestCount: number; totalTokens: number }
  | { outcome: 'skipped'; reason: 'no-transcript' | 'not-completed' | 'already-summarized' };

export function transcriptSha256(transcript: string): string {
  return createHash('sha256').update(transcript).digest('hex');
}

async function summarizeOrFail(summarizer: CallSummarizer, transcript: string): Promise<CallSummary> {
  try {
    return await summarizer.summarize(transcript);
  } catch (error) {
    if (error instanceof SummarizerRequestRejectedError) throw new UnrecoverableError(error.message);
    throw error;
  }
}

/**
 * Summarises a completed call's transcript into `call_history.summary` and `call_analyses`.
 * Keyed by the transcript's SHA-256: a transcript already summarised is never sent again.
 */
export async function summarizeCall(db: Db, summarizer: CallSummarizer, callSid: string): Promise<SummarizeCallResult> {
  const call = await findCallForSummary(db, callSid);
  if (!call) throw new UnrecoverableError(`call ${callSid} does not exist`);
  const transcript = call.transcript?.trim();
  if (!transcript) return { outcome: 'skipped', reason: 'no-transcript' };
  if (call.call_status !== 'completed') return { outcome: 'skipped', reason: 'not-completed' };

  const sha256 = transcriptSha256(transcript);
  if (await hasAnalysisOf(db, callSid, sha256)) return { outcome: 'skipped', reason: 'already-summarized' };

  const summary = await summarizeOrFail(summarizer, transcript);
  await saveCallSummary(db, { callSid, userId: call.user_id, transcriptSha256: sha256 }, summary);
  return { outcome: 'summarized', requestCount: summary.requestCount, totalTokens: summary.usage.totalTokens };
}
