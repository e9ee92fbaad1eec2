import type { Db, JobHandlers, Queues } from '@series-killer/shared';
import { applyCallStatus } from '../call-status/apply-call-status.ts';
import { enqueueSummaryWhenReady } from '../summary-trigger/enqueue-summary-when-ready.ts';
import { assembleTranscript } from '../transcripts/assemble-transcript.ts';
import { recordLegacyTranscription } from '../transcripts/record-legacy-transcription.ts';
import { recordTranscriptionEvent } from '../transcripts/record-transcription-event.ts';

/**
 * The `calls` queue: call lifecycle and transcripts. Every handler ends by checking whether
 * the call is ready for its summary, so the last of status and transcript queues it.
 */
export function callsHandlers({ db, queues }: { db: Db; queues: Queues }): JobHandlers<'calls'> {
  const afterStatus = async (callSid: string) => ({
    transcript: await assembleTranscript(db, callSid),
    summary: await enqueueSummaryWhenReady(db, queues, callSid),
  });
  return {
    'call-started': async (data) => {
      const status = await applyCallStatus(db, { ...data, callDuration: null, sequenceNumber: null });
      return status.outcome === 'skipped' ? status : { ...status, ...(await afterStatus(data.callSid)) };
    },
    'call-status': async (data) => {
      const status = await applyCallStatus(db, data);
      return status.outcome === 'skipped' ? status : { ...status, ...(await afterStatus(data.callSid)) };
    },
    'transcription-event': async (data) => {
      const recorded = await recordTranscriptionEvent(db, data);
      return { ...recorded, summary: await enqueueSummaryWhenReady(db, queues, data.callSid) };
    },
    'legacy-transcription': async (data) => {
      const recorded = await recordLegacyTranscription(db, data);
      return { ...recorded, summary: await enqueueSummaryWhenReady(db, queues, data.callSid) };
    },
  };
}
