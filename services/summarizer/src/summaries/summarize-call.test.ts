import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Sandbox } from '@series-killer/sandbox';
import { addJob, type JobData, SANDBOX_DEFAULTS } from '@series-killer/shared';
import { fakeSid, waitFor } from '@series-killer/shared/testing';
import { createLinkedUser, type SummarizerTestEnv, startSummarizerTestEnv } from '../testing/summarizer-test-env.ts';
import { savedPartialSummarySchema } from './summarize-call.ts';

const CALLER = '+14155550177';

function statusCallback(callSid: string, callStatus: 'completed' | 'busy' | 'no-answer'): JobData<'call-status'> {
  return {
    callSid,
    callStatus,
    from: CALLER,
    to: SANDBOX_DEFAULTS.twilioFromNumber,
    direction: 'inbound',
    callDuration: callStatus === 'completed' ? 95 : 0,
    sequenceNumber: 3,
    receivedAt: new Date().toISOString(),
  };
}

function legacyTranscription(callSid: string, transcriptionText: string): JobData<'legacy-transcription'> {
  return {
    callSid,
    transcriptionSid: `TR${callSid.slice(2)}`,
    transcriptionText,
    receivedAt: new Date().toISOString(),
  };
}

/** The conversation as real-time transcription events: started (1), one final piece per line, stopped. */
function transcriptionEvents(callSid: string): JobData<'transcription-event'>[] {
  const lines = conversation(callSid).split('\n');
  const base = {
    callSid,
    transcriptionSid: `GT${callSid.slice(2)}`,
    confidence: null,
    receivedAt: new Date().toISOString(),
  };
  return [
    { ...base, event: 'transcription-started', sequenceId: 1, track: null, text: null, final: false },
    ...lines.map((line, index) => ({
      ...base,
      event: 'transcription-content' as const,
      sequenceId: index + 2,
      track: line.startsWith('Caller:') ? ('inbound_track' as const) : ('outbound_track' as const),
      text: line.replace(/^\w+: /, ''),
      final: true,
    })),
    { ...base, event: 'transcription-stopped', sequenceId: lines.length + 2, track: null, text: null, final: false },
  ];
}

/** A short conversation that names the call, so the sandbox's request log can be filtered by call. */
function conversation(callSid: string): string {
  return [
    `Caller: Hello, my reference is ${callSid}.`,
    'Assistant: Thanks. How can I help you today?',
    'Caller: Please text me a recap of last night’s episode and call me back tomorrow.',
    'Assistant: I will send the recap now and schedule a call for tomorrow.',
  ].join('\n');
}

describe('call summaries', () => {
  let sandbox: Sandbox;
  let env: SummarizerTestEnv & { sandbox: Sandbox };

  beforeAll(async () => {
    env = await startSummarizerTestEnv({ OPENAI_MODEL: 'gpt-4o-mini' }, { sandbox: true });
    sandbox = env.sandbox;
    await createLinkedUser(env.db, CALLER);
  });
  afterAll(async () => {
    await env.close();
  });

  const requestsFor = (callSid: string) =>
    sandbox.openaiRequests().filter((body) => JSON.stringify(body.messages).includes(callSid));

  const summaryOf = async (callSid: string) =>
    (await env.db.selectFrom('call_history').select('summary').where('call_sid', '=', callSid).executeTakeFirst())
      ?.summary ?? undefined;

  const analysisOf = (callSid: string) =>
    env.db.selectFrom('call_analyses').selectAll().where('call_sid', '=', callSid).executeTakeFirst();

  const summaryJob = (callSid: string) => env.queues.summaries.getJob(`summary.${callSid}`);

  /** Waits until each job has completed, so what it would have enqueued is there. */
  async function settled(jobIds: (string | undefined)[]): Promise<void> {
    await waitFor('calls jobs completed', async () => {
      const states = await Promise.all(jobIds.map((id) => env.queues.calls.getJobState(id as string)));
      return states.every((state) => state === 'completed');
    });
  }

  /** Status first, then the transcript: the transcript's arrival queues the summary. */
  async function completedCallWithTranscript(callSid: string, transcript: string): Promise<void> {
    await addJob(env.queues, 'call-status', statusCallback(callSid, 'completed'));
    await waitFor('completed call row', () =>
      env.db.selectFrom('call_history').select('id').where('call_sid', '=', callSid).executeTakeFirst(),
    );
    await addJob(env.queues, 'legacy-transcription', legacyTranscription(callSid, transcript));
  }

  it('writes the summary and the analysis with one OpenAI request, status first', async () => {
    const callSid = fakeSid('CA');
    await completedCallWithTranscript(callSid, conversation(callSid));

    const summary = await waitFor('summary', () => summaryOf(callSid));
    const analysis = await analysisOf(callSid);
    expect(analysis).toMatchObject({
      summary,
      model: 'gpt-4o-mini',
      request_count: 1,
      sentiment: expect.stringMatching(/^(positive|neutral|negative|mixed)$/),
      follow_up_needed: expect.any(Boolean),
      transcript_sha256: expect.stringMatching(/^[0-9a-f]{64}$/),
    });
    expect(analysis?.topics).toEqual(expect.any(Array));
    expect(analysis?.action_items).toEqual(expect.any(Array));
    expect(analysis?.total_tokens).toBeGreaterThan(0);
    expect(analysis?.user_id).not.toBeNull();

    const [request] = requestsFor(callSid);
    expect(requestsFor(callSid)).toHaveLength(1);
    expect(request).toMatchObject({
      model: 'gpt-4o-mini',
      response_format: { type: 'json_schema', json_schema: { name: 'call_analysis', strict: true } },
    });
  });

  it('summarises once when the transcript comes first, and never again when the job is re-run', async () => {
    const callSid = fakeSid('CA');
    const jobIds: (string | undefined)[] = [];
    for (const event of transcriptionEvents(callSid))
      jobIds.push(await addJob(env.queues, 'transcription-event', event));
    await settled(jobIds);
    expect(await summaryJob(callSid)).toBeUndefined();

    jobIds.push(await addJob(env.queues, 'call-status', statusCallback(callSid, 'completed')));
    await waitFor('summary', () => summaryOf(callSid));
    await settled(jobIds);

    await (await summaryJob(callSid))?.remove();
    const rerun = await addJob(env.queues, 'summarize-call', { callSid });
    await waitFor(
      're-run completed',
      async () => (await env.queues.summaries.getJobState(rerun as string)) === 'completed',
    );
    expect((await summaryJob(callSid))?.returnvalue).toEqual({ outcome: 'skipped', reason: 'already-summarized' });
    expect(requestsFor(callSid)).toHaveLength(1);
  });

  it('queues no summary for calls that never connected, or without a transcript', async () => {
    const busy = fakeSid('CA');
    const noAnswer = fakeSid('CA');
    const silent = fakeSid('CA');
    const jobIds = [
      await addJob(env.queues, 'call-status', statusCallback(busy, 'busy')),
      await addJob(env.queues, 'call-status', statusCallback(noAnswer, 'no-answer')),
      await addJob(env.queues, 'call-status', statusCallback(silent, 'completed')),
    ];
    await settled(jobIds);
    jobIds.push(await addJob(env.queues, 'legacy-transcription', legacyTranscription(busy, conversation(busy))));
    jobIds.push(await addJob(env.queues, 'legacy-transcription', legacyTranscription(silent, '   ')));
    await settled(jobIds);

    for (const callSid of [busy, noAnswer, silent]) {
      expect(await summaryJob(callSid)).toBeUndefined();
      expect(await summaryOf(callSid)).toBeUndefined();
      expect(requestsFor(callSid)).toHaveLength(0);
    }
  });

  it('summarises a long transcript in chunks, then combines them', async () => {
    const callSid = fakeSid('CA');
    const line = (i: number) =>
      `${i % 2 ? 'Assistant' : 'Caller'}: Line ${i} of a long call about the plot of season ${i % 7}, its characters and the episodes still to watch.`;
    // About 110,000 characters: three chunks at the default budget of 12,000 tokens (48,000 characters).
    const transcript = [conversation(callSid), ...Array.from({ length: 900 }, (_, i) => line(i))].join('\n');
    await completedCallWithTranscript(callSid, transcript);

    await waitFor('summary', () => summaryOf(callSid), { timeoutMs: 20_000 });
    const requests = sandbox.openaiRequests().filter((body) => {
      const text = JSON.stringify(body.messages);
      return text.includes('of a long call about the plot') || text.includes(callSid);
    });
    const combining = requests.filter((body) => body.response_format !== undefined);
    expect(requests).toHaveLength(4);
    expect(combining).toHaveLength(1);
    expect(requests.at(-1)).toBe(combining[0]);
    expect(await analysisOf(callSid)).toMatchObject({ request_count: 4 });
  });

  it('resumes a long transcript after a 429 on a later part, sending no finished part again', async () => {
    const callSid = fakeSid('CA');
    const line = (i: number) =>
      `${i % 2 ? 'Assistant' : 'Caller'}: Line ${i} of a call that resumes, about season ${i % 5}, its cast and the finale.`;
    // About 120,000 characters: three parts at the default budget of 48,000 characters.
    const transcript = [conversation(callSid), ...Array.from({ length: 1_300 }, (_, i) => line(i))].join('\n');
    const logged = sandbox.openaiRequests().length;
    // Slow answers leave time to turn the 429 on once part 1 is saved, before part 2 is answered.
    sandbox.setOpenAIMode({ latencyMs: 400 });
    try {
      await completedCallWithTranscript(callSid, transcript);
      await waitFor('part 1 saved on the job', async () => {
        const saved = savedPartialSummarySchema.safeParse((await summaryJob(callSid))?.progress);
        return saved.data?.parts.length === 1;
      });
      sandbox.setOpenAIMode({ failWith: 429, times: 1, retryAfterMs: 300 });
      await waitFor('summary after 429', () => summaryOf(callSid), { timeoutMs: 20_000 });
    } finally {
      sandbox.setOpenAIMode({});
    }

    const requests = sandbox.openaiRequests().slice(logged);
    const partRequested = requests.flatMap((body) => /"Part (\d) of 3:/.exec(JSON.stringify(body.messages))?.[1] ?? []);
    // Three parts, the combining request, and the part that met the 429 once more.
    expect(requests).toHaveLength(5);
    expect(requests.at(-1)?.response_format).toBeDefined();
    expect(partRequested).toHaveLength(4);
    expect(new Set(partRequested)).toEqual(new Set(['1', '2', '3']));
    expect(partRequested.filter((part) => part === '1')).toHaveLength(1);
    expect(await analysisOf(callSid)).toMatchObject({ request_count: 4 });
  });

  it('pauses on 429 and then writes the summary', async () => {
    const callSid = fakeSid('CA');
    sandbox.setOpenAIMode({ failWith: 429, times: 1, retryAfterMs: 300 });
    try {
      await completedCallWithTranscript(callSid, conversation(callSid));
      await waitFor('summary after 429', () => summaryOf(callSid), { timeoutMs: 20_000 });
    } finally {
      sandbox.setOpenAIMode({});
    }
    expect(requestsFor(callSid)).toHaveLength(2);
    expect(await analysisOf(callSid)).toMatchObject({ request_count: 1 });
  });

  it('retries after a 500 and then writes the summary', async () => {
    const callSid = fakeSid('CA');
    sandbox.setOpenAIMode({ failWith: 500, times: 1 });
    try {
      await completedCallWithTranscript(callSid, conversation(callSid));
      await waitFor('summary after 500', () => summaryOf(callSid), { timeoutMs: 20_000 });
    } finally {
      sandbox.setOpenAIMode({});
    }
    expect((await summaryJob(callSid))?.attemptsMade).toBe(2);
  });

  it('fails the job as unrecoverable with the reason on a 400', async () => {
    const callSid = fakeSid('CA');
    sandbox.setOpenAIMode({ failWith: 400 });
    try {
      await completedCallWithTranscript(callSid, conversation(callSid));
      await waitFor(
        'summary job failed',
        async () => (await env.queues.summaries.getJobState(`summary.${callSid}`)) === 'failed',
      );
    } finally {
      sandbox.setOpenAIMode({});
    }
    const job = await summaryJob(callSid);
    expect(job?.failedReason).toMatch(/^OpenAI rejected the request \(400\): .*failure switch/);
    expect(job?.attemptsMade).toBe(1);
    expect(requestsFor(callSid)).toHaveLength(1);
    expect(await summaryOf(callSid)).toBeUndefined();
  });
});
