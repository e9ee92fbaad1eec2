import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { type RunningIngress, startIngress } from '@series-killer/ingress';
import { SANDBOX_DEFAULTS } from '@series-killer/shared';
import { freePort, waitFor } from '@series-killer/shared/testing';
import { type SummarizerWorkers, startSummarizerWorkers } from '@series-killer/summarizer';
import { startVoiceHarness, type VoiceHarness } from '../testing/voice-harness.ts';

const CALLER = '+14155550166';

describe('a call answered by the voice bot, from the incoming-call webhook to the summary', () => {
  let h: VoiceHarness;
  let ingress: RunningIngress;
  let summarizer: SummarizerWorkers;

  beforeAll(async () => {
    const voicePort = await freePort();
    h = await startVoiceHarness({
      VOICE_PORT: String(voicePort),
      VOICE_BOT_PUBLIC_URL: `ws://127.0.0.1:${voicePort}/voice/relay`,
      VOICE_BOT_TRANSFER_NUMBER: '+15005550010',
    });
    ingress = await startIngress(h.stack.config);
    summarizer = await startSummarizerWorkers(h.stack.config);
    const userId = randomUUID();
    const db = h.stack.testDb.db;
    await db
      .insertInto('auth.users')
      .values({ id: userId, phone: CALLER.slice(1) })
      .execute();
    await db
      .insertInto('user_profiles')
      .values({ user_id: userId, first_name: 'Ada', last_name: 'Lovelace' })
      .execute();
    await db.insertInto('phone_links').values({ user_id: userId, phone_number: CALLER, verified: true }).execute();
    await db.insertInto('preferences').values({ user_id: userId, voice_preference: 'Polly.Amy' }).execute();
  });
  afterAll(async () => {
    await summarizer.close();
    await ingress.close();
    await h.close();
  });

  const callRow = (callSid: string) =>
    h.stack.testDb.db
      .selectFrom('call_history')
      .select(['call_status', 'transcript', 'summary'])
      .where('call_sid', '=', callSid)
      .executeTakeFirst();

  it('greets the caller by name, answers, is interrupted, says goodbye, and the dialogue becomes transcript and summary', async () => {
    h.stack.sandbox.setOpenAIMode({ interTokenMs: 30 });
    const result = await h.stack.sandbox.conversationRelayCall({
      from: CALLER,
      to: SANDBOX_DEFAULTS.twilioFromNumber,
      lines: [
        'Is there a new season of Dark Waters?',
        { say: 'Wait, actually', interruptAfterTokens: 2 },
        'Thanks, goodbye',
      ],
    });
    h.stack.sandbox.setOpenAIMode({});

    expect(result.error).toBeNull();
    expect(result.endedBy).toBe('bot');
    // The model's stream stopped at the interrupt (a token already on the wire may still reach the caller).
    expect(h.stack.sandbox.openaiStreams().aborted).toBe(1);
    expect(h.stack.sandbox.openaiStreams().tokensAfterAbort).toBe(0);
    expect(result.dialogue[0]).toEqual({ speaker: 'bot', text: 'Hi Ada, thanks for calling Series Killer.' });
    expect(result.dialogue.some((turn) => turn.speaker === 'bot' && turn.interrupted)).toBe(true);
    expect(result.actionTwiml).toContain('<Hangup/>');

    const call = await waitFor('summary', async () => {
      const row = await callRow(result.callSid);
      return row?.summary ? row : undefined;
    });
    expect(call.call_status).toBe('completed');
    const lines = (call.transcript ?? '').split('\n');
    // The caller cut the first reply after two tokens: the transcript keeps what they heard.
    expect(lines).toEqual([
      'Assistant: Hi Ada, thanks for calling Series Killer.',
      'Caller: Is there a new season of Dark Waters?',
      'Assistant: You said: [interrupted]',
      'Caller: Wait, actually',
      expect.stringMatching(/^Assistant: You said: Wait, actually\. I can help you with that\./),
      'Caller: Thanks, goodbye',
      'Assistant: Thanks, goodbye [ended the call]',
    ]);
  });

  it('dials a person when the caller asks for one', async () => {
    const result = await h.stack.sandbox.conversationRelayCall({
      from: CALLER,
      to: SANDBOX_DEFAULTS.twilioFromNumber,
      lines: ['Can I speak to a person please'],
    });
    expect(result.endedBy).toBe('bot');
    expect(result.actionTwiml).toContain('<Dial>+15005550010</Dial>');
  });
});
