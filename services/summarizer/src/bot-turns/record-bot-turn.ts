import type { BotAction, Db, JobData } from '@series-killer/shared';
import { type AssembleOutcome, assembleTranscript } from '../transcripts/assemble-transcript.ts';
import { insertTranscriptSegment, recordTranscriptionBounds } from '../transcripts/transcription.repository.ts';

/**
 * A live conversation is numbered by turns from 1: turn N is the caller's segment and the bot's
 * at sequence N, so the transcript reads caller then bot, turn after turn. Sequence 0 stands for
 * the session's start, as Twilio's `transcription-started` does for real-time transcription.
 */
const SESSION_START_SEQUENCE = 0;

const ACTION_NOTE: Record<BotAction, string> = {
  end_call: '[ended the call]',
  transfer_to_human: '[transferred the caller to a person]',
  text_caller: '[texted the caller]',
};

/** What the caller said in a turn, with the keys they pressed. */
export function callerLine(turn: Pick<JobData<'bot-turn'>, 'callerText' | 'digits'>): string {
  const keyed = turn.digits ? `[pressed ${turn.digits}]` : '';
  return [turn.callerText.trim(), keyed].filter(Boolean).join(' ');
}

/** What the caller heard of the bot in a turn, marked where they cut it off, with what it did. */
export function botLine(turn: Pick<JobData<'bot-turn'>, 'botText' | 'interrupted' | 'actions'>): string {
  const said = turn.botText.trim();
  const cut = turn.interrupted ? `${said}${said ? ' ' : ''}[interrupted]` : said;
  return [cut, ...turn.actions.map((action) => ACTION_NOTE[action])].filter(Boolean).join(' ');
}

/**
 * Stores one finished turn of a voice-bot conversation as the call's transcript segments (caller
 * `inbound_track`, bot `outbound_track`, at the turn's number), then assembles the transcript if
 * the session has ended and every turn is in. A replayed turn is a no-op.
 */
export async function recordBotTurn(db: Db, turn: JobData<'bot-turn'>): Promise<AssembleOutcome> {
  const call = { callSid: turn.callSid, sequence: turn.turn, confidence: null };
  // Both sides of the turn at once: an assembly running meanwhile (the grace period's) must never
  // find the caller's line of the last turn without the bot's and call the transcript complete.
  await db.transaction().execute(async (trx) => {
    await insertTranscriptSegment(trx, { ...call, track: 'inbound_track', text: callerLine(turn) });
    await insertTranscriptSegment(trx, { ...call, track: 'outbound_track', text: botLine(turn) });
  });
  await recordTranscriptionBounds(db, {
    callSid: turn.callSid,
    transcriptionSid: turn.sessionId,
    startedSequence: SESSION_START_SEQUENCE,
  });
  return assembleTranscript(db, turn.callSid);
}

/**
 * Notes that the conversation ended: with the bot's count of turns the transcript is complete once
 * they are all stored; without it (a failed session) it waits for the grace period like a
 * transcription without a stop event.
 */
export async function recordRelaySessionEnded(db: Db, ended: JobData<'relay-session-ended'>): Promise<AssembleOutcome> {
  await recordTranscriptionBounds(db, {
    callSid: ended.callSid,
    transcriptionSid: ended.sessionId,
    startedSequence: SESSION_START_SEQUENCE,
    ...(ended.turns === null ? {} : { stoppedSequence: ended.turns + 1 }),
  });
  return assembleTranscript(db, ended.callSid);
}
