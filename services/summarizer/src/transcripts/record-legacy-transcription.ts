import type { Db } from '@series-killer/shared';
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
 * has one. Throws CallNotRecordedError (retry) while the call row does not exist yet.
 */
export async function recordLegacyTranscription(
  db: Db,
  event: { callSid: string; transcriptionText: string },
): Promise<{ outcome: 'recorded' | 'skipped' }> {
  if (await writeTranscriptOnce(db, event.callSid, event.transcriptionText.trim())) return { outcome: 'recorded' };
  const call = await db
    .selectFrom('call_history')
    .select('id')
    .where('call_sid', '=', event.callSid)
    .executeTakeFirst();
  if (!call) throw new CallNotRecordedError(event.callSid);
  return { outcome: 'skipped' };
}
