import type { Db } from '@series-killer/shared';
import { sql } from 'kysely';

export type TranscriptTrack = 'inbound_track' | 'outbound_track';

/** Creates the call's transcription row if it is missing; started/stopped sequences are set once. */
export async function recordTranscriptionBounds(
  db: Db,
  bounds: { callSid: string; transcriptionSid: string; startedSequence?: number; stoppedSequence?: number },
): Promise<void> {
  await db
    .insertInto('call_transcriptions')
    .values({
      call_sid: bounds.callSid,
      transcription_sid: bounds.transcriptionSid,
      started_sequence: bounds.startedSequence ?? null,
      stopped_sequence: bounds.stoppedSequence ?? null,
    })
    .onConflict((oc) =>
      oc.column('call_sid').doUpdateSet((eb) => ({
        transcription_sid: eb.fn.coalesce('call_transcriptions.transcription_sid', 'excluded.transcription_sid'),
        started_sequence: eb.fn.coalesce('call_transcriptions.started_sequence', 'excluded.started_sequence'),
        stopped_sequence: eb.fn.coalesce('call_transcriptions.stopped_sequence', 'excluded.stopped_sequence'),
      })),
    )
    .execute();
}

/** Notes a SequenceId spent on a transcription-error event: no piece will ever carry it. */
export async function recordTranscriptionError(
  db: Db,
  error: { callSid: string; transcriptionSid: string; sequence: number },
): Promise<void> {
  await db
    .insertInto('call_transcriptions')
    .values({
      call_sid: error.callSid,
      transcription_sid: error.transcriptionSid,
      error_sequences: sql<number[]>`array[${error.sequence}::integer]`,
    })
    .onConflict((oc) =>
      oc.column('call_sid').doUpdateSet({
        error_sequences: sql<number[]>`case when ${error.sequence}::integer = any(call_transcriptions.error_sequences)
          then call_transcriptions.error_sequences
          else array_append(call_transcriptions.error_sequences, ${error.sequence}::integer) end`,
      }),
    )
    .execute();
}

/** Ends the wait for missing pieces: from now on the transcript is assembled with its gaps marked. */
export async function acceptTranscriptGaps(db: Db, callSid: string): Promise<void> {
  await db
    .updateTable('call_transcriptions')
    .set((eb) => ({ gaps_accepted_at: eb.fn.coalesce('gaps_accepted_at', sql<Date>`now()`) }))
    .where('call_sid', '=', callSid)
    .execute();
}

/** Stores one final transcription piece; a replayed piece is ignored. */
export async function insertTranscriptSegment(
  db: Db,
  segment: { callSid: string; track: TranscriptTrack; sequence: number; text: string; confidence: number | null },
): Promise<void> {
  await db
    .insertInto('call_transcript_segments')
    .values({
      call_sid: segment.callSid,
      track: segment.track,
      sequence: segment.sequence,
      text: segment.text,
      confidence: segment.confidence,
    })
    .onConflict((oc) => oc.columns(['call_sid', 'track', 'sequence']).doNothing())
    .execute();
}

/** The call's transcription state, locked until the transaction ends so that one event assembles it. */
export async function lockTranscription(db: Db, callSid: string) {
  return db
    .selectFrom('call_transcriptions')
    .select(['started_sequence', 'stopped_sequence', 'assembled_at', 'error_sequences', 'gaps_accepted_at'])
    .where('call_sid', '=', callSid)
    .forUpdate()
    .executeTakeFirst();
}

/** Marks the transcription assembled, with the pieces it lacks, and gives it and its pieces the call's user. */
export async function markTranscriptionAssembled(
  db: Db,
  callSid: string,
  { userId, missingPieces }: { userId: string | null; missingPieces: number },
): Promise<void> {
  await db
    .updateTable('call_transcriptions')
    .set((eb) => ({ assembled_at: eb.fn('now'), user_id: userId, missing_pieces: missingPieces }))
    .where('call_sid', '=', callSid)
    .execute();
  await db.updateTable('call_transcript_segments').set({ user_id: userId }).where('call_sid', '=', callSid).execute();
}
