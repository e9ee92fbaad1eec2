import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { addJob, type JobData } from '@series-killer/shared';
import { fakeSid, waitFor } from '@series-killer/shared/testing';
import { createLinkedUser, type SummarizerTestEnv, startSummarizerTestEnv } from '../testing/summarizer-test-env.ts';
import { TRANSCRIPT_GAP_MARKER } from './assemble-transcript.ts';
import { recordTranscriptionEvent } from './record-transcription-event.ts';

const CALLER = '+14155550143';
const LINES = [
  'Hi, this is Series Killer.',
  'I want a recap of the finale.',
  'Sure, I will text it to you.',
  'Thanks, bye.',
] as const;

type TranscriptionEvent = JobData<'transcription-event'>;

/** A call's real-time transcription events as Twilio numbers them: started 1, the lines 2–5, stopped 6. */
function transcriptionEvents(callSid: string): TranscriptionEvent[] {
  const base = { callSid, transcriptionSid: `GT${callSid.slice(2)}`, receivedAt: new Date().toISOString() };
  const bare = { track: null, text: null, confidence: null, final: false };
  return [
    { ...base, ...bare, event: 'transcription-started', sequenceId: 1 },
    ...LINES.map((text, index) => ({
      ...base,
      event: 'transcription-content' as const,
      sequenceId: index + 2,
      track: index % 2 === 0 ? ('outbound_track' as const) : ('inbound_track' as const),
      text,
      confidence: 0.9,
      final: true,
    })),
    { ...base, ...bare, event: 'transcription-stopped', sequenceId: LINES.length + 2 },
  ];
}

/** The content event of sequence 3 ("I want a recap…") turned into the transcription-error Twilio sends instead. */
function withErrorAt3(events: TranscriptionEvent[]): TranscriptionEvent[] {
  return events.map((event) =>
    event.sequenceId === 3
      ? { ...event, event: 'transcription-error', track: null, text: null, confidence: null, final: false }
      : event,
  );
}

function callStarted(callSid: string): JobData<'call-started'> {
  return {
    callSid,
    from: CALLER,
    to: '+15005550006',
    direction: 'inbound',
    callStatus: 'ringing',
    receivedAt: new Date().toISOString(),
  };
}

function callCompleted(callSid: string): JobData<'call-status'> {
  return {
    ...callStarted(callSid),
    callStatus: 'completed',
    callDuration: 42,
    sequenceNumber: 3,
  };
}

const GAPPED_TRANSCRIPT = [
  'Assistant: Hi, this is Series Killer.',
  TRANSCRIPT_GAP_MARKER,
  'Assistant: Sure, I will text it to you.',
  'Caller: Thanks, bye.',
].join('\n');

describe('transcripts with missing pieces', () => {
  let env: SummarizerTestEnv;

  beforeAll(async () => {
    env = await startSummarizerTestEnv({ TRANSCRIPT_GAP_GRACE: '1s' }, { sandbox: true });
    await createLinkedUser(env.db, CALLER);
  });
  afterAll(async () => {
    await env.close();
  });

  const callRow = (callSid: string) =>
    env.db
      .selectFrom('call_history')
      .select(['transcript', 'summary'])
      .where('call_sid', '=', callSid)
      .executeTakeFirst();
  const analysisOf = (callSid: string) =>
    env.db
      .selectFrom('call_analyses')
      .select(['transcript_missing_pieces', 'summary'])
      .where('call_sid', '=', callSid)
      .execute();

  it('assembles at once when a transcription-error took a SequenceId, marking the gap', async () => {
    const callSid = fakeSid('CA');
    await addJob(env.queues, 'call-started', callStarted(callSid));
    await waitFor('call row', () => callRow(callSid));

    const outcomes = [];
    for (const event of withErrorAt3(transcriptionEvents(callSid)))
      outcomes.push(await recordTranscriptionEvent(env.db, event));

    expect(outcomes.at(-1)).toEqual({ recorded: 'stopped', transcript: 'assembled' });
    expect(outcomes[2]).toEqual({ recorded: 'error', transcript: 'incomplete' });
    expect((await callRow(callSid))?.transcript).toBe(GAPPED_TRANSCRIPT);
    const state = await env.db
      .selectFrom('call_transcriptions')
      .select(['missing_pieces', 'error_sequences'])
      .where('call_sid', '=', callSid)
      .executeTakeFirstOrThrow();
    expect(state).toEqual({ missing_pieces: 1, error_sequences: [3] });
  });

  it('assembles what arrived once the grace period after the stop has passed, and summarises it once', async () => {
    const callSid = fakeSid('CA');
    await addJob(env.queues, 'call-started', callStarted(callSid));
    // The piece with sequence 3 never arrives (refused, or lost on the way).
    for (const event of transcriptionEvents(callSid).filter((event) => event.sequenceId !== 3))
      await addJob(env.queues, 'transcription-event', event);
    await addJob(env.queues, 'call-status', callCompleted(callSid));

    const analyses = await waitFor('the summary of the gapped transcript', async () => {
      const rows = await analysisOf(callSid);
      return rows.length > 0 && rows;
    });
    expect(analyses).toEqual([{ transcript_missing_pieces: 1, summary: expect.any(String) }]);
    const call = await callRow(callSid);
    expect(call?.transcript).toBe(GAPPED_TRANSCRIPT);
    expect(call?.summary).toBe(analyses[0]?.summary);
    const summaryJobs = (await env.queues.summaries.getJobs(['completed', 'active', 'waiting', 'delayed'])).filter(
      (job) => job.data.callSid === callSid,
    );
    expect(summaryJobs).toHaveLength(1);
  });

  it('assembles a transcript whose SequenceId jumps to 2^31 - 1 with the gap marked, in bounded work', async () => {
    const callSid = fakeSid('CA');
    const [started, hello, , , bye, stopped] = transcriptionEvents(callSid);
    const far = 2_147_483_646;
    // A signed event may carry any SequenceId: here the last piece and the stop jump two billion ahead.
    const events = [started, hello, { ...bye, sequenceId: far }, { ...stopped, sequenceId: far + 1 }];
    await addJob(env.queues, 'call-started', callStarted(callSid));
    for (const event of events) if (event) await addJob(env.queues, 'transcription-event', event);
    await addJob(env.queues, 'call-status', callCompleted(callSid));

    const transcript = await waitFor('the transcript', async () => (await callRow(callSid))?.transcript ?? undefined);
    expect(transcript).toBe(
      ['Assistant: Hi, this is Series Killer.', TRANSCRIPT_GAP_MARKER, 'Caller: Thanks, bye.'].join('\n'),
    );
    const state = await env.db
      .selectFrom('call_transcriptions')
      .select('missing_pieces')
      .where('call_sid', '=', callSid)
      .executeTakeFirstOrThrow();
    expect(state.missing_pieces).toBe(far - 3);
  });

  it('assembles after the grace period when the stop event was lost, once the call completed', async () => {
    const callSid = fakeSid('CA');
    await addJob(env.queues, 'call-started', callStarted(callSid));
    for (const event of transcriptionEvents(callSid).filter((event) => event.event !== 'transcription-stopped'))
      await addJob(env.queues, 'transcription-event', event);
    await waitFor('every piece stored', async () => {
      const rows = await env.db
        .selectFrom('call_transcript_segments')
        .select('id')
        .where('call_sid', '=', callSid)
        .execute();
      return rows.length === LINES.length;
    });
    expect((await callRow(callSid))?.transcript).toBeNull();

    await addJob(env.queues, 'call-status', callCompleted(callSid));
    const transcript = await waitFor('the transcript', async () => (await callRow(callSid))?.transcript ?? undefined);
    expect(transcript).toBe(
      [
        'Assistant: Hi, this is Series Killer.',
        'Caller: I want a recap of the finale.',
        'Assistant: Sure, I will text it to you.',
        'Caller: Thanks, bye.',
      ].join('\n'),
    );
    await waitFor('the summary', async () => (await analysisOf(callSid)).length === 1);
    expect(await analysisOf(callSid)).toEqual([{ transcript_missing_pieces: 0, summary: expect.any(String) }]);
  });
});
