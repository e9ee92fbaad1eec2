import type { Db } from '@series-killer/shared';

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
    .select(['started_sequence', 'stopped_sequence', 'assembled_at'])
    .where('call_sid', '=', callSid)
    .forUpdate()
    .executeTakeFirst();
}

/** How many distinct sequence ids in [first, last] have a stored piece. */
export async function countSegmentSequences(db: Db, callSid: string, first: number, last: number): Promise<number> {
  const row = await db
    .selectFrom('call_transcript_segments')
    .select((eb) => eb.fn.count<string>('sequence').distinct().as('present'))
    .where('call_sid', '=', callSid)
    .where('sequence', '>=', first)
    .where('sequence', '<=', last)
    .executeTakeFirstOrThrow();
  return Number(row.present);
}

export async function listTranscriptSegments(db: Db, callSid: string) {
  return db
    .selectFrom('call_transcript_segments')
    .select(['track', 'sequence', 'text'])
    .where('call_sid', '=', callSid)
    .orderBy('sequence')
    .orderBy('track')
    .execute();
}

/** Marks the transcription assembled and gives it, and its pieces, the call's user. */
export async function markTranscriptionAssembled(db: Db, callSid: string, userId: string | null): Promise<void> {
  await db
    .updateTable('call_transcriptions')
    .set((eb) => ({ assembled_at: eb.fn('now'), user_id: userId }))
    .where('call_sid', '=', callSid)
    .execute();
  await db.updateTable('call_transcript_segments').set({ user_id: userId }).where('call_sid', '=', callSid).execute();
}
