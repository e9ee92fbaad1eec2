import type { Db } from './create-db.ts';

/**
 * A call's transcript segments in the order they were said (sequence, then track): what the
 * summarizer assembles into the transcript and what a reconnected voice-bot session continues from.
 */
export async function listTranscriptSegments(db: Db, callSid: string) {
  return db
    .selectFrom('call_transcript_segments')
    .select(['track', 'sequence', 'text'])
    .where('call_sid', '=', callSid)
    .orderBy('sequence')
    .orderBy('track')
    .execute();
}
