import { createHash } from 'node:crypto';
import type { Db } from '@series-killer/shared';
import { UnrecoverableError } from 'bullmq';
import { z } from 'zod';
import { findCallForSummary, hasAnalysisOf, saveCallSummary } from './call-analyses.repository.ts';
import {
  type CallSummarizer,
  type CallSummary,
  partialSummarySchema,
  type SummarizeOptions,
  SummarizerRequestRejectedError,
} from './call-summarizer.ts';

export type SummarizeCallResult =
  | { outcome: 'summarized'; requestCount: number; totalTokens: number }
  | { outcome: 'skipped'; reason: 'no-transcript' | 'not-completed' | 'already-summarized' };

export function transcriptSha256(transcript: string): string {
  return createHash('sha256').update(transcript).digest('hex');
}

/** A summary in parts as far as it got, saved on its job for the transcript it belongs to. */
export const savedPartialSummarySchema = partialSummarySchema.extend({ sha256: z.string() });
export type SavedPartialSummary = z.output<typeof savedPartialSummarySchema>;

/** Where an attempt keeps its progress, so that a retry requests no part twice. */
export interface SummaryProgressStore {
  /** What an earlier attempt saved, if anything. */
  saved: SavedPartialSummary | undefined;
  save(partial: SavedPartialSummary): Promise<void>;
}

async function summarizeOrFail(
  summarizer: CallSummarizer,
  transcript: string,
  progress: SummarizeOptions,
): Promise<CallSummary> {
  try {
    return await summarizer.summarize(transcript, progress);
  } catch (error) {
    if (error instanceof SummarizerRequestRejectedError) throw new UnrecoverableError(error.message);
    throw error;
  }
}

/**
 * Summarises a completed call's transcript into `call_history.summary` and `call_analyses`.
 * Keyed by the transcript's SHA-256: a transcript already summarised is never sent again, and
 * the parts of one that an earlier attempt summarised are not sent again either.
 */
export async function summarizeCall(
  db: Db,
  summarizer: CallSummarizer,
  callSid: string,
  progress: SummaryProgressStore,
): Promise<SummarizeCallResult> {
  const call = await findCallForSummary(db, callSid);
  if (!call) throw new UnrecoverableError(`call ${callSid} does not exist`);
  const transcript = call.transcript?.trim();
  if (!transcript) return { outcome: 'skipped', reason: 'no-transcript' };
  if (call.call_status !== 'completed') return { outcome: 'skipped', reason: 'not-completed' };

  const sha256 = transcriptSha256(transcript);
  if (await hasAnalysisOf(db, callSid, sha256)) return { outcome: 'skipped', reason: 'already-summarized' };

  const summary = await summarizeOrFail(summarizer, transcript, {
    // Parts of an earlier transcript of the call summarise other text.
    resumeFrom: progress.saved?.sha256 === sha256 ? progress.saved : undefined,
    savePartial: (partial) => progress.save({ ...partial, sha256 }),
  });
  await saveCallSummary(
    db,
    { callSid, userId: call.user_id, transcriptSha256: sha256, transcriptMissingPieces: call.missing_pieces },
    summary,
  );
  return { outcome: 'summarized', requestCount: summary.requestCount, totalTokens: summary.usage.totalTokens };
}
