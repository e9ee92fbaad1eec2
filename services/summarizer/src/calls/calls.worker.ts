import { type Db, isErasedSid, type JobHandlers, type Queues } from '@series-killer/shared';
import { recordBotTurn, recordRelaySessionEnded } from '../bot-turns/record-bot-turn.ts';
import { applyCallStatus } from '../call-status/apply-call-status.ts';
import { enqueueSummaryWhenReady } from '../summary-trigger/enqueue-summary-when-ready.ts';
import { assembleTranscript } from '../transcripts/assemble-transcript.ts';
import { recordLegacyTranscription } from '../transcripts/record-legacy-transcription.ts';
import { recordTranscriptionEvent } from '../transcripts/record-transcription-event.ts';
import { scheduleGapAssembly } from '../transcripts/schedule-gap-assembly.ts';
import { acceptTranscriptGaps } from '../transcripts/transcription.repository.ts';

export interface CallsHandlersOptions {
  /** How long missing transcript pieces are awaited after the transcription stops or the call completes. Milliseconds. */
  transcriptGapGraceMs: number;
}

/** What a job of an erased user's call does: nothing, so a late event keeps nothing of theirs. */
export const ERASED_CALL = { outcome: 'skipped', reason: 'call of an erased user' } as const;

/**
 * The `calls` queue: call lifecycle, transcripts and the voice bot's turns. Every handler ends by
 * checking whether the call is ready for its summary, so the last of status and transcript queues
 * it. A job of an erased user's call (a late callback, a job running while the erasure ran) is
 * skipped.
 */
export function callsHandlers({
  db,
  queues,
  transcriptGapGraceMs: graceMs,
}: { db: Db; queues: Queues } & CallsHandlersOptions): JobHandlers<'calls'> {
  const afterStatus = async (callSid: string, completed: boolean) => {
    const transcript = await assembleTranscript(db, callSid);
    const gaps = completed
      ? await scheduleGapAssembly(queues, transcript, { callSid, trigger: 'call-completed' }, graceMs)
      : undefined;
    return { transcript, ...(gaps ? { gaps } : {}), summary: await enqueueSummaryWhenReady(db, queues, callSid) };
  };
  const unlessErased =
    <D extends { callSid: string }>(handle: (data: D) => Promise<unknown>) =>
    async (data: D) =>
      (await isErasedSid(db, data.callSid)) ? ERASED_CALL : handle(data);
  return {
    'call-started': unlessErased(async (data) => {
      const status = await applyCallStatus(db, { ...data, callDuration: null, sequenceNumber: null });
      return status.outcome === 'skipped' ? status : { ...status, ...(await afterStatus(data.callSid, false)) };
    }),
    'call-status': unlessErased(async (data) => {
      const status = await applyCallStatus(db, data);
      if (status.outcome === 'skipped') return status;
      return { ...status, ...(await afterStatus(data.callSid, data.callStatus === 'completed')) };
    }),
    'transcription-event': unlessErased(async (data) => {
      const recorded = await recordTranscriptionEvent(db, data);
      const gaps =
        data.event === 'transcription-stopped'
          ? await scheduleGapAssembly(
              queues,
              recorded.transcript,
              { callSid: data.callSid, trigger: 'transcription-stopped' },
              graceMs,
            )
          : undefined;
      return {
        ...recorded,
        ...(gaps ? { gaps } : {}),
        summary: await enqueueSummaryWhenReady(db, queues, data.callSid),
      };
    }),
    'legacy-transcription': unlessErased(async (data) => {
      const recorded = await recordLegacyTranscription(db, data);
      return { ...recorded, summary: await enqueueSummaryWhenReady(db, queues, data.callSid) };
    }),
    'bot-turn': unlessErased(async (data) => {
      const transcript = await recordBotTurn(db, data);
      return { transcript, summary: await enqueueSummaryWhenReady(db, queues, data.callSid) };
    }),
    'relay-session-ended': unlessErased(async (data) => {
      const transcript = await recordRelaySessionEnded(db, data);
      const gaps = await scheduleGapAssembly(
        queues,
        transcript,
        { callSid: data.callSid, trigger: 'session-ended' },
        graceMs,
      );
      return {
        transcript,
        ...(gaps ? { gaps } : {}),
        summary: await enqueueSummaryWhenReady(db, queues, data.callSid),
      };
    }),
    'assemble-transcript': unlessErased(async (data) => {
      await acceptTranscriptGaps(db, data.callSid);
      const transcript = await assembleTranscript(db, data.callSid);
      return { transcript, summary: await enqueueSummaryWhenReady(db, queues, data.callSid) };
    }),
  };
}
