import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { authUsersFor, eraseUser } from '@series-killer/ingress/erasure';
import { addJob, createLogger, type JobData } from '@series-killer/shared';
import { fakeSid, uniqueTestPhone, waitFor } from '@series-killer/shared/testing';
import { ERASED_CALL } from '../calls/calls.worker.ts';
import {
  createLinkedUser,
  type SummarizerTestEnv,
  shuffled,
  startSummarizerTestEnv,
} from '../testing/summarizer-test-env.ts';
import { assembleTranscript } from './assemble-transcript.ts';
import { CallNotRecordedError, recordLegacyTranscription } from './record-legacy-transcription.ts';
import { type RecordTranscriptionEventResult, recordTranscriptionEvent } from './record-transcription-event.ts';

const CALLER = '+14155550142';

const CONVERSATION = [
  { track: 'outbound_track', text: 'Hi Ada, this is Series Killer. How can I help?' },
  { track: 'inbound_track', text: 'I missed the last episode of my show.' },
  { track: 'outbound_track', text: 'I can send you a recap by text.' },
  { track: 'inbound_track', text: 'Yes please, and remind me on Friday.' },
  { track: 'outbound_track', text: 'Done. Anything else?' },
  { track: 'inbound_track', text: 'No, thanks. Bye!' },
] as const;

const EXPECTED_TRANSCRIPT = [
  'Assistant: Hi Ada, this is Series Killer. How can I help?',
  'Caller: I missed the last episode of my show.',
  'Assistant: I can send you a recap by text.',
  'Caller: Yes please, and remind me on Friday.',
  'Assistant: Done. Anything else?',
  'Caller: No, thanks. Bye!',
].join('\n');

/** The real-time transcription events of a call, numbered as Twilio numbers them (started = 1). */
function transcriptionEvents(callSid: string): JobData<'transcription-event'>[] {
  const base = {
    callSid,
    transcriptionSid: `GT${callSid.slice(2)}`,
    confidence: null,
    receivedAt: new Date().toISOString(),
  };
  return [
    { ...base, event: 'transcription-started', sequenceId: 1, track: null, text: null, final: false },
    ...CONVERSATION.map((line, index) => ({
      ...base,
      event: 'transcription-content' as const,
      sequenceId: index + 2,
      track: line.track,
      text: line.text,
      confidence: 0.93,
      final: true,
    })),
    {
      ...base,
      event: 'transcription-stopped',
      sequenceId: CONVERSATION.length + 2,
      track: null,
      text: null,
      final: false,
    },
  ];
}

function callStarted(callSid: string, from = CALLER): JobData<'call-started'> {
  return {
    callSid,
    from,
    to: '+15005550006',
    direction: 'inbound',
    callStatus: 'ringing',
    receivedAt: new Date().toISOString(),
  };
}

describe('transcripts', () => {
  let env: SummarizerTestEnv;
  let userId: string;

  beforeAll(async () => {
    env = await startSummarizerTestEnv();
    userId = await createLinkedUser(env.db, CALLER);
  });
  afterAll(async () => {
    await env.close();
  });

  const transcriptOf = async (callSid: string) =>
    (await env.db.selectFrom('call_history').select('transcript').where('call_sid', '=', callSid).executeTakeFirst())
      ?.transcript ?? undefined;

  it('assembles shuffled, duplicated events in order with speakers, exactly once', async () => {
    const callSid = fakeSid('CA');
    await addJob(env.queues, 'call-started', callStarted(callSid));
    await waitFor('call row', () =>
      env.db.selectFrom('call_history').select('id').where('call_sid', '=', callSid).executeTakeFirst(),
    );

    const events = transcriptionEvents(callSid);
    // Every event twice, concurrently, in a scrambled order: the assembly lock must hold.
    const outcomes = await Promise.all(
      shuffled([...events, ...events], 5).map((event) => recordTranscriptionEvent(env.db, event)),
    );

    expect(outcomes.filter((o) => o.transcript === 'assembled')).toHaveLength(1);
    expect(await transcriptOf(callSid)).toBe(EXPECTED_TRANSCRIPT);
    const segments = await env.db
      .selectFrom('call_transcript_segments')
      .select(['user_id'])
      .where('call_sid', '=', callSid)
      .execute();
    expect(segments).toHaveLength(CONVERSATION.length);
    expect(segments.every((segment) => segment.user_id === userId)).toBe(true);
  });

  it('assembles through the calls queue when the transcript is complete before the call row exists', async () => {
    const callSid = fakeSid('CA');
    for (const event of shuffled(transcriptionEvents(callSid), 9))
      await addJob(env.queues, 'transcription-event', event);
    await waitFor('transcription stored', async () => {
      const state = await env.db
        .selectFrom('call_transcriptions')
        .select('stopped_sequence')
        .where('call_sid', '=', callSid)
        .executeTakeFirst();
      const count = await env.db
        .selectFrom('call_transcript_segments')
        .select((eb) => eb.fn.countAll<string>().as('n'))
        .where('call_sid', '=', callSid)
        .executeTakeFirstOrThrow();
      return state?.stopped_sequence != null && Number(count.n) === CONVERSATION.length;
    });
    expect(await assembleTranscript(env.db, callSid)).toBe('waiting-for-call');

    await addJob(env.queues, 'call-started', callStarted(callSid));
    expect(await waitFor('transcript', () => transcriptOf(callSid))).toBe(EXPECTED_TRANSCRIPT);
  });

  it('waits for a missing piece before assembling', async () => {
    const callSid = fakeSid('CA');
    await addJob(env.queues, 'call-started', callStarted(callSid));
    const events = transcriptionEvents(callSid);
    const late = events[3] as JobData<'transcription-event'>;
    for (const event of events.filter((e) => e !== late)) await recordTranscriptionEvent(env.db, event);
    await waitFor('call row', () =>
      env.db.selectFrom('call_history').select('id').where('call_sid', '=', callSid).executeTakeFirst(),
    );

    expect(await assembleTranscript(env.db, callSid)).toBe('incomplete');
    expect(await transcriptOf(callSid)).toBeUndefined();
    expect(await recordTranscriptionEvent(env.db, late)).toEqual({ recorded: 'segment', transcript: 'assembled' });
    expect(await transcriptOf(callSid)).toBe(EXPECTED_TRANSCRIPT);
  });

  it('takes a legacy TranscriptionText as the transcript, retrying until the call row exists', async () => {
    const callSid = fakeSid('CA');
    const legacy = { callSid, transcriptionText: '  Please call me back about my subscription.  ' };
    await expect(recordLegacyTranscription(env.db, legacy)).rejects.toThrow(CallNotRecordedError);

    await addJob(env.queues, 'legacy-transcription', {
      ...legacy,
      transcriptionSid: `TR${callSid.slice(2)}`,
      receivedAt: new Date().toISOString(),
    });
    await addJob(env.queues, 'call-started', callStarted(callSid));
    // The legacy job retries with jittered exponential backoff until the call row exists.
    expect(await waitFor('legacy transcript', () => transcriptOf(callSid), { timeoutMs: 45_000 })).toBe(
      'Please call me back about my subscription.',
    );
    expect(await recordLegacyTranscription(env.db, { callSid, transcriptionText: 'something else' })).toEqual({
      outcome: 'skipped',
    });
  });

  it('stops waiting for the call row of a caller without a phone number', async () => {
    const legacyCall = fakeSid('CA');
    const legacyJobId = await addJob(env.queues, 'legacy-transcription', {
      callSid: legacyCall,
      transcriptionSid: `TR${legacyCall.slice(2)}`,
      transcriptionText: 'Hello from the browser.',
      receivedAt: new Date().toISOString(),
    });
    await addJob(env.queues, 'call-started', callStarted(legacyCall, 'client:alice'));

    const legacyJob = await waitFor('legacy transcription settled', async () => {
      const job = await env.queues.calls.getJob(legacyJobId as string);
      return job?.finishedOn !== undefined && job;
    });
    expect(await legacyJob.getState()).toBe('completed');
    expect(legacyJob.returnvalue).toMatchObject({ outcome: 'skipped', reason: 'caller is not a phone number' });

    const realTimeCall = fakeSid('CA');
    await addJob(env.queues, 'call-started', callStarted(realTimeCall, 'sip:alice@example.com'));
    await waitFor('call skipped', () =>
      env.db.selectFrom('skipped_calls').select('reason').where('call_sid', '=', realTimeCall).executeTakeFirst(),
    );
    let last: RecordTranscriptionEventResult | undefined;
    for (const event of transcriptionEvents(realTimeCall)) last = await recordTranscriptionEvent(env.db, event);
    expect(last).toEqual({ recorded: 'stopped', transcript: 'call-skipped' });
  });

  it('stores nothing of an erased user’s call that arrives after the erasure', async () => {
    const phone = uniqueTestPhone();
    const erasedUserId = await createLinkedUser(env.db, phone);
    const callSid = fakeSid('CA');
    await addJob(env.queues, 'call-started', callStarted(callSid, phone));
    await waitFor('call row', () =>
      env.db.selectFrom('call_history').select('id').where('call_sid', '=', callSid).executeTakeFirst(),
    );
    const deps = { db: env.db, queues: env.queues, logger: createLogger('erasure-test', 'silent') };
    await eraseUser({ ...deps, authUsers: await authUsersFor(env.config, env.db) }, { userId: erasedUserId });

    const completed = { ...callStarted(callSid, phone), callStatus: 'completed' as const };
    const late = [
      await addJob(env.queues, 'call-status', { ...completed, callDuration: 42, sequenceNumber: 3 }),
      ...(await Promise.all(
        transcriptionEvents(callSid).map((event) => addJob(env.queues, 'transcription-event', event)),
      )),
    ];
    const outcomes = await waitFor('the late jobs to run', async () => {
      const jobs = await Promise.all(late.map((id) => env.queues.calls.getJob(id ?? '')));
      return jobs.every((job) => job?.finishedOn) && jobs.map((job) => job?.returnvalue);
    });

    expect(outcomes.every((outcome) => JSON.stringify(outcome) === JSON.stringify(ERASED_CALL))).toBe(true);
    for (const table of ['call_history', 'call_transcriptions', 'call_transcript_segments'] as const) {
      const rows = await env.db.selectFrom(table).select('call_sid').where('call_sid', '=', callSid).execute();
      expect([table, rows]).toEqual([table, []]);
    }
  });
});
