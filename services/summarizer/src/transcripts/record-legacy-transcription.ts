import type { Db } from '@series-killer/shared';
import { findSkippedCallReason } from '../call-status/skipped-calls.repository.ts';
import { writeTranscriptOnce } from './call-transcript.repository.ts';

/** A legacy transcription arrived before any status callback created its call row; retried. */
export class CallNotRecordedError extends Error {
  constructor(callSid: string) {
    super(`call ${callSid} has no call_history row yet`);
    this.name = 'CallNotRecordedError';
  }
}

/**
 * Stores a legacy `TranscriptionText` as the call's transcript, unless the call already
 * has one. Throws CallNotRecordedError (retry) while the call row does not exist yet, unless
 * the status path kept the call out of `call_history`: the callback carries no caller number
 * of its own, so it learns that from the skipped call the status path noted.
 */
export async function recordLegacyTranscription(
  db: Db,
  event: { callSid: string; transcriptionText: string },
): Promise<{ outcome: 'recorded' } | { outcome: 'skipped'; reason?: string }> {
  if (await writeTranscriptOnce(db, event.callSid, event.transcriptionText.trim())) return { outcome: 'recorded' };
  const call = await db
    .selectFrom('call_history')
    .select('id')
    .where('call_sid', '=', event.callSid)
    .executeTakeFirst();
  if (call) return { outcome: 'skipped' };
  const skippedReason = await findSkippedCallReason(db, event.callSid);
  if (!skippedReason) throw new CallNotRecordedError(event.callSid);
  return { outcome: 'skipped', reason: skippedReason };
}
