import type { Db, JobData } from '@series-killer/shared';
import { UnrecoverableError } from 'bullmq';
import { type AssembleOutcome, assembleTranscript } from './assemble-transcript.ts';
import {
  insertTranscriptSegment,
  recordTranscriptionBounds,
  recordTranscriptionError,
} from './transcription.repository.ts';

export type TranscriptionEvent = JobData<'transcription-event'>;

export interface RecordTranscriptionEventResult {
  recorded: 'started' | 'segment' | 'stopped' | 'error' | 'ignored';
  transcript: AssembleOutcome;
}

async function recordEvent(db: Db, event: TranscriptionEvent): Promise<RecordTranscriptionEventResult['recorded']> {
  const call = { callSid: event.callSid, transcriptionSid: event.transcriptionSid };
  switch (event.event) {
    case 'transcription-started':
      await recordTranscriptionBounds(db, { ...call, startedSequence: event.sequenceId });
      return 'started';
    case 'transcription-stopped':
      await recordTranscriptionBounds(db, { ...call, stoppedSequence: event.sequenceId });
      return 'stopped';
    case 'transcription-content':
      // Only final results are requested; a partial one would be superseded anyway.
      if (!event.final) return 'ignored';
      if (!event.track) throw new UnrecoverableError('transcription-content event without a track');
      // Empty pieces are stored too: completeness is judged by the sequence ids present.
      await insertTranscriptSegment(db, {
        callSid: event.callSid,
        track: event.track,
        sequence: event.sequenceId,
        text: event.text ?? '',
        confidence: event.confidence,
      });
      await recordTranscriptionBounds(db, call);
      return 'segment';
    case 'transcription-error':
      // It spends a SequenceId and carries no text: noted, so assembly does not wait for that piece.
      await recordTranscriptionError(db, { ...call, sequence: event.sequenceId });
      return 'error';
  }
}

/**
 * Stores one real-time transcription event, then assembles the transcript if this event
 * completed it. Events arrive concurrently and in any order; each is idempotent.
 */
export async function recordTranscriptionEvent(
  db: Db,
  event: TranscriptionEvent,
): Promise<RecordTranscriptionEventResult> {
  const recorded = await recordEvent(db, event);
  return { recorded, transcript: await assembleTranscript(db, event.callSid) };
}
