import { type Db, listTranscriptSegments } from '@series-killer/shared';
import { findSkippedCallReason } from '../call-status/skipped-calls.repository.ts';
import { lockCallForTranscript, writeTranscriptOnce } from './call-transcript.repository.ts';
import { lockTranscription, markTranscriptionAssembled, type TranscriptTrack } from './transcription.repository.ts';

/** Twilio numbers a transcription's events from 1 when the `started` event has not been seen. */
const FIRST_SEQUENCE = 1;

const SPEAKER: Record<TranscriptTrack, string> = {
  inbound_track: 'Caller',
  outbound_track: 'Assistant',
};

/** Where the transcript lacks one or more consecutive pieces (a transcription error, a lost event). */
export const TRANSCRIPT_GAP_MARKER = '[gap: part of the call is missing from the transcript]';

export type AssembleOutcome =
  | 'assembled'
  | 'already-assembled'
  | 'no-transcription'
  | 'incomplete'
  /** Complete, but no status callback has created the call row yet; the status path assembles it. */
  | 'waiting-for-call'
  /** The call is kept out of `call_history` (its caller is not a phone number): nothing to assemble into. */
  | 'call-skipped';

interface Segment {
  track: string;
  sequence: number;
  text: string;
}

/** A run of consecutive missing sequences, both ends included. */
export interface TranscriptGap {
  from: number;
  to: number;
}

/**
 * One line per final piece, in sequence order, labelled with its speaker; each run of
 * missing sequences becomes one gap marker line.
 */
export function formatTranscript(segments: Segment[], gaps: readonly TranscriptGap[] = []): string {
  const entries = [
    ...segments
      .filter((segment) => segment.text.trim() !== '')
      .map((segment) => ({
        sequence: segment.sequence,
        line: `${SPEAKER[segment.track as TranscriptTrack] ?? 'Unknown'}: ${segment.text.trim()}`,
      })),
    ...gaps.map((gap) => ({ sequence: gap.from, line: TRANSCRIPT_GAP_MARKER })),
  ].sort((a, b) => a.sequence - b.sequence);
  const lines: string[] = [];
  for (const { line } of entries) {
    if (line === TRANSCRIPT_GAP_MARKER && lines.at(-1) === TRANSCRIPT_GAP_MARKER) continue;
    lines.push(line);
  }
  return lines.join('\n');
}

/**
 * The runs of sequences in [first, last] that no stored piece carries, how many sequences they
 * hold, and how many of those a piece may still arrive for (not known lost). Works on the pieces
 * and errors seen, never on every number in the range: a forged SequenceId near 2^31 costs a
 * range, not two billion entries.
 */
function findGaps(first: number, last: number, segments: Segment[], errorSequences: readonly number[]) {
  const inRange = (sequence: number) => sequence >= first && sequence <= last;
  const present = new Set(segments.map((segment) => segment.sequence).filter(inRange));
  const gaps: TranscriptGap[] = [];
  let next = first;
  for (const sequence of [...[...present].sort((a, b) => a - b), last + 1]) {
    if (sequence > next) gaps.push({ from: next, to: sequence - 1 });
    next = sequence + 1;
  }
  const missing = gaps.reduce((count, gap) => count + gap.to - gap.from + 1, 0);
  const lost = new Set(errorSequences.filter((sequence) => inRange(sequence) && !present.has(sequence)));
  return { gaps, missing, awaited: missing - lost.size };
}

/**
 * Assembles the call's transcript into `call_history.transcript` once transcription has
 * stopped and every piece between start and stop is stored or known lost (a
 * transcription-error event). Once the grace period has ended (`gaps_accepted_at`), it
 * assembles what arrived, even with no stop event, and marks the gaps. Runs under a lock on
 * the transcription row, after every event and every status callback, so whichever arrives
 * last assembles it, exactly once.
 */
export async function assembleTranscript(db: Db, callSid: string): Promise<AssembleOutcome> {
  return db.transaction().execute(async (trx) => {
    const state = await lockTranscription(trx, callSid);
    if (!state) return 'no-transcription';
    if (state.assembled_at) return 'already-assembled';
    const gapsAccepted = state.gaps_accepted_at !== null;
    if (state.stopped_sequence === null && !gapsAccepted) return 'incomplete';

    const segments = await listTranscriptSegments(trx, callSid);
    const first = (state.started_sequence ?? FIRST_SEQUENCE) + 1;
    // Without a stop event, the last piece or error seen ends the transcript.
    const last =
      state.stopped_sequence === null
        ? [...segments.map((segment) => segment.sequence), ...state.error_sequences].reduce(
            (max, sequence) => Math.max(max, sequence),
            first - 1,
          )
        : state.stopped_sequence - 1;
    const { gaps, missing, awaited } = findGaps(first, last, segments, state.error_sequences);
    if (awaited > 0 && !gapsAccepted) return 'incomplete';

    const call = await lockCallForTranscript(trx, callSid);
    if (!call) return (await findSkippedCallReason(trx, callSid)) ? 'call-skipped' : 'waiting-for-call';

    await writeTranscriptOnce(trx, callSid, formatTranscript(segments, gaps));
    await markTranscriptionAssembled(trx, callSid, { userId: call.user_id, missingPieces: missing });
    return 'assembled';
  });
}
