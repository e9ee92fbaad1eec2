import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { addJob, type JobData } from '@series-killer/shared';
import { fakeSid, waitFor } from '@series-killer/shared/testing';
import {
  createLinkedUser,
  type SummarizerTestEnv,
  shuffled,
  startSummarizerTestEnv,
} from '../testing/summarizer-test-env.ts';
import { recordBotTurn } from './record-bot-turn.ts';

const CALLER = '+14155550177';
const SESSION = `VX${'1'.repeat(32)}`;

function turns(callSid: string): JobData<'bot-turn'>[] {
  const base = {
    callSid,
    sessionId: SESSION,
    digits: '',
    interrupted: false,
    actions: [],
    endedAt: new Date().toISOString(),
  };
  return [
    { ...base, turn: 1, callerText: 'What should I watch tonight?', botText: 'Try the new season of Dark Waters.' },
    {
      ...base,
      turn: 2,
      callerText: 'Can you text me the link?',
      botText: 'Sure, I will text it to you now, and also',
      interrupted: true,
      actions: ['text_caller'],
    },
    { ...base, turn: 3, callerText: '', digits: '9', botText: 'Goodbye!', actions: ['end_call'] },
  ];
}

const EXPECTED_TRANSCRIPT = [
  'Caller: What should I watch tonight?',
  'Assistant: Try the new season of Dark Waters.',
  'Caller: Can you text me the link?',
  'Assistant: Sure, I will text it to you now, and also [interrupted] [texted the caller]',
  'Caller: [pressed 9]',
  'Assistant: Goodbye! [ended the call]',
].join('\n');

function callStatus(callSid: string, callStatus: 'ringing' | 'completed', sequenceNumber: number) {
  return {
    callSid,
    callStatus,
    from: CALLER,
    to: '+15005550006',
    direction: 'inbound',
    callDuration: callStatus === 'completed' ? 61 : null,
    sequenceNumber,
    receivedAt: new Date().toISOString(),
  } as const;
}

function sessionEnded(callSid: string, turnCount: number | null): JobData<'relay-session-ended'> {
  return {
    callSid,
    sessionId: SESSION,
    sessionStatus: turnCount === null ? 'failed' : 'completed',
    turns: turnCount,
    receivedAt: new Date().toISOString(),
  };
}

describe('voice-bot turns', () => {
  let env: SummarizerTestEnv;

  beforeAll(async () => {
    env = await startSummarizerTestEnv({}, { sandbox: true });
    await createLinkedUser(env.db, CALLER);
  });
  afterAll(async () => {
    await env.close();
  });

  const callOf = (callSid: string) =>
    env.db
      .selectFrom('call_history')
      .select(['transcript', 'summary'])
      .where('call_sid', '=', callSid)
      .executeTakeFirst();

  it('records turns as caller and bot segments in turn order and summarises once the session ended and the call completed', async () => {
    const callSid = fakeSid('CA');
    await addJob(env.queues, 'call-status', callStatus(callSid, 'ringing', 0));
    // The session's end and the call's completion come before the last turn is stored; every turn twice.
    const [first, second, third] = turns(callSid) as [JobData<'bot-turn'>, JobData<'bot-turn'>, JobData<'bot-turn'>];
    for (const turn of shuffled([first, second, first, second])) await addJob(env.queues, 'bot-turn', turn);
    await addJob(env.queues, 'relay-session-ended', sessionEnded(callSid, 3));
    await addJob(env.queues, 'call-status', callStatus(callSid, 'completed', 1));
    await waitFor('two turns stored', async () => {
      const rows = await env.db
        .selectFrom('call_transcript_segments')
        .select('id')
        .where('call_sid', '=', callSid)
        .execute();
      return rows.length === 4;
    });
    expect((await callOf(callSid))?.transcript).toBeNull();

    await addJob(env.queues, 'bot-turn', third);
    const call = await waitFor('summary', async () => {
      const row = await callOf(callSid);
      return row?.summary ? row : undefined;
    });
    expect(call.transcript).toBe(EXPECTED_TRANSCRIPT);
    const segments = await env.db
      .selectFrom('call_transcript_segments')
      .select(['track', 'sequence'])
      .where('call_sid', '=', callSid)
      .orderBy('sequence')
      .orderBy('track')
      .execute();
    expect(segments).toEqual(
      [1, 2, 3].flatMap((sequence) => [
        { track: 'inbound_track', sequence },
        { track: 'outbound_track', sequence },
      ]),
    );
    const analyses = await env.db.selectFrom('call_analyses').select('id').where('call_sid', '=', callSid).execute();
    expect(analyses).toHaveLength(1);
    // A turn replayed after assembly changes nothing.
    expect(await recordBotTurn(env.db, third)).toBe('already-assembled');
  });

  it('assembles the turns stored when the session failed, once the grace period has passed', async () => {
    const callSid = fakeSid('CA');
    await addJob(env.queues, 'call-status', callStatus(callSid, 'ringing', 0));
    const [first] = turns(callSid) as [JobData<'bot-turn'>];
    await addJob(env.queues, 'bot-turn', first);
    await addJob(env.queues, 'relay-session-ended', sessionEnded(callSid, null));
    await addJob(env.queues, 'call-status', callStatus(callSid, 'completed', 1));
    // The grace period ends now rather than in 30 s.
    const gapAssembly = await waitFor('gap assembly scheduled', () =>
      env.queues.calls.getJob(`assemble-transcript.${callSid}.session-ended`),
    );
    await gapAssembly.promote();
    const call = await waitFor('transcript', async () => {
      const row = await callOf(callSid);
      return row?.transcript ? row : undefined;
    });
    expect(call.transcript).toBe('Caller: What should I watch tonight?\nAssistant: Try the new season of Dark Waters.');
  });
});
