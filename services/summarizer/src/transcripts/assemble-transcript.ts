import type { Db } from '@series-killer/shared';
import { findSkippedCallReason } from '../call-status/skipped-calls.repository.ts';
import { lockCallForTranscript, writeTranscriptOnce } from './call-transcript.repository.ts';
import {
  countSegmentSequences,
  listTranscriptSegments,
  lockTranscription,
  markTranscriptionAssembled,
  type TranscriptTrack,
} from './transcription.repository.ts';

/** Twilio numbers a transcription's events from 1 when the `started` event has not been seen. */
const FIRST_SEQUENCE = 1;

const SPEAKER: Record<TranscriptTrack, string> = {
  inbound_track: 'Caller',
  outbound_track: 'Assistant',
};

export type AssembleOutcome =
  | 'assembled'
  | 'already-assembled'
  | 'no-transcription'
  | 'incomplete'
  /** Complete, but no status callback has created the call row yet; the status path assembles it. */
  | 'waiting-for-call'
  /** The call is kept out of `call_history` (its caller is not a phone number): nothing to assemble into. */
  | 'call-skipped';

/** One line per final piece, in sequence order, labelled with its speaker. */
export function formatTranscript(segments: { track: string; text: string }[]): string {
  return segments
    .filter((segment) => segment.text.trim() !== '')
    .map((segment) => `${SPEAKER[segment.track as TranscriptTrack] ?? 'Unknown'}: ${segment.text.trim()}`)
    .join('\n');
}

/**
 * Assembles the call's transcript into `call_history.transcript` once transcription has
 * stopped and every piece between start and stop is stored. Runs under a lock on the
 * transcription row, after every event and every status callback, so whichever arrives last
 * assembles it, exactly once.
 */
export async function assembleTranscript(db: Db, callSid: string): Promise<AssembleOutcome> {
  return db.transaction().execute(async (trx) => {
    const state = await lockTranscription(trx, callSid);
    if (!state) return 'no-transcription';
    if (state.assembled_at) return 'already-assembled';
    if (state.stopped_sequence === null) return 'incomplete';

    const first = (state.started_sequence ?? FIRST_SEQUENCE) + 1;
    const last = state.stopped_sequence - 1;
    const expected = Math.max(0, last - first + 1);
    if ((await countSegmentSequences(trx, callSid, first, last)) < expected) return 'incomplete';

    const call = await lockCallForTranscript(trx, callSid);
    if (!call) return (await findSkippedCallReason(trx, callSid)) ? 'call-skipped' : 'waiting-for-call';

    const transcript = formatTranscript(await listTranscriptSegments(trx, callSid));
    await writeTranscriptOnce(trx, callSid, transcript);
    await markTranscriptionAssembled(trx, callSid, call.user_id);
    return 'assembled';
  });
}
