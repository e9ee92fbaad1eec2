import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { type RunningIngress, startIngress } from '@series-killer/ingress';
import type { Sandbox, SimulatedCallInput } from '@series-killer/sandbox';
import { SANDBOX_DEFAULTS } from '@series-killer/shared';
import { waitFor } from '@series-killer/shared/testing';
import { createLinkedUser, type SummarizerTestEnv, startSummarizerTestEnv } from '../testing/summarizer-test-env.ts';

const CALLER = '+14155550188';
const SERVICE_NUMBER = SANDBOX_DEFAULTS.twilioFromNumber;

const CONVERSATION: NonNullable<SimulatedCallInput['transcript']> = [
  { track: 'outbound_track', text: 'Hi Grace, this is Series Killer. What can I do for you?' },
  { track: 'inbound_track', text: 'Can you remind me when the new season starts?' },
  { track: 'outbound_track', text: 'It starts on the twelfth. Shall I text you that morning?' },
  { track: 'inbound_track', text: 'Yes, please do. Thanks!' },
];

const EXPECTED_TRANSCRIPT = [
  'Assistant: Hi Grace, this is Series Killer. What can I do for you?',
  'Caller: Can you remind me when the new season starts?',
  'Assistant: It starts on the twelfth. Shall I text you that morning?',
  'Caller: Yes, please do. Thanks!',
].join('\n');

describe('calls through the ingress, from Twilio webhooks to the summary', () => {
  let sandbox: Sandbox;
  let ingress: RunningIngress;
  let env: SummarizerTestEnv & { sandbox: Sandbox };
  let userId: string;

  beforeAll(async () => {
    env = await startSummarizerTestEnv({}, { sandbox: true });
    sandbox = env.sandbox;
    ingress = await startIngress(env.config);
    userId = await createLinkedUser(env.db, CALLER);
  });
  afterAll(async () => {
    await ingress.close();
    await env.close();
  });

  const callRow = (callSid: string) =>
    env.db
      .selectFrom('call_history')
      .select(['phone_number', 'user_id', 'call_status', 'duration', 'transcript', 'summary'])
      .where('call_sid', '=', callSid)
      .executeTakeFirst();

  /** Chat completion requests whose prompt carries this text. */
  const chatRequestsWith = (text: string) =>
    sandbox.openaiRequests().filter((body) => JSON.stringify(body.messages).includes(text)).length;

  /** Resolves once the calls queue has nothing left to do. */
  const callsDrained = () =>
    waitFor('calls queue drained', async () => {
      const counts = await env.queues.calls.getJobCounts('waiting', 'active', 'prioritized');
      // A gap assembly scheduled while the transcript was incomplete waits out its grace period
      // even when the last piece came meanwhile; it then finds the transcript assembled.
      const delayed = (await env.queues.calls.getDelayed()).filter((job) => job.name !== 'assemble-transcript');
      return Object.values(counts).every((count) => count === 0) && delayed.length === 0;
    });

  it('ends in the same row and summary whether webhooks come in order, shuffled or duplicated', async () => {
    const variants: Pick<SimulatedCallInput, 'shuffle' | 'duplicate'>[] = [
      {},
      { shuffle: true },
      { shuffle: true, duplicate: true },
    ];
    // A last line of its own per call tells the calls' requests apart in the sandbox's log.
    const lastLine = (index: number) => `My ticket number is ${9000 + index}.`;
    const calls = await Promise.all(
      variants.map((variant, index) =>
        sandbox.simulateCall({
          from: CALLER,
          to: SERVICE_NUMBER,
          durationSeconds: 61,
          transcript: [...CONVERSATION, { track: 'inbound_track', text: lastLine(index) }],
          ...variant,
        }),
      ),
    );

    for (const [index, { callSid }] of calls.entries()) {
      const row = await waitFor(`summary of ${callSid}`, async () => {
        const r = await callRow(callSid);
        return r?.summary ? r : undefined;
      });
      expect(row).toMatchObject({
        phone_number: CALLER,
        user_id: userId,
        call_status: 'completed',
        duration: 61,
        transcript: `${EXPECTED_TRANSCRIPT}\nCaller: ${lastLine(index)}`,
      });
    }
    await callsDrained();
    for (const index of variants.keys()) expect(chatRequestsWith(lastLine(index))).toBe(1);
    const analyses = await env.db
      .selectFrom('call_analyses')
      .select(['call_sid', 'request_count'])
      .where(
        'call_sid',
        'in',
        calls.map((call) => call.callSid),
      )
      .execute();
    expect(analyses).toHaveLength(3);
    expect(analyses.every((analysis) => analysis.request_count === 1)).toBe(true);
  });

  it('writes no summary and sends no request for busy and unanswered calls', async () => {
    const before = sandbox.openaiRequests().length;
    const calls = await Promise.all(
      (['busy', 'no-answer'] as const).map((outcome) =>
        sandbox.simulateCall({ from: CALLER, to: SERVICE_NUMBER, outcome, shuffle: true }),
      ),
    );
    for (const [index, { callSid }] of calls.entries()) {
      const status = index === 0 ? 'busy' : 'no-answer';
      await waitFor(`${status} call`, async () => (await callRow(callSid))?.call_status === status);
    }
    await callsDrained();
    for (const { callSid } of calls) {
      expect(await callRow(callSid)).toMatchObject({ transcript: null, summary: null, user_id: userId });
      expect(await env.queues.summaries.getJob(`summary.${callSid}`)).toBeUndefined();
    }
    expect(sandbox.openaiRequests().length).toBe(before);
  });
});
