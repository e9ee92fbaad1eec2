import { randomUUID } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { addJob, type Db, type JobData, parseRelayHandoff } from '@series-killer/shared';
import { waitFor } from '@series-killer/shared/testing';
import { startVoiceHarness, type VoiceHarness } from '../testing/voice-harness.ts';
import { SPOKEN } from './bot-instructions.ts';

const KNOWN_CALLER = '+14155550123';
const OPTED_OUT_CALLER = '+14155550124';
const STRANGER = '+14155550999';

async function createCaller(db: Db, phoneNumber: string, firstName: string): Promise<string> {
  const userId = randomUUID();
  await db
    .insertInto('auth.users')
    .values({ id: userId, phone: phoneNumber.slice(1) })
    .execute();
  await db
    .insertInto('user_profiles')
    .values({ user_id: userId, first_name: firstName, last_name: 'Lovelace', location: 'Portland' })
    .execute();
  await db.insertInto('phone_links').values({ user_id: userId, phone_number: phoneNumber, verified: true }).execute();
  return userId;
}

async function turnJob(h: VoiceHarness, callSid: string, turn: number): Promise<JobData<'bot-turn'>> {
  const job = await waitFor(`turn ${turn}`, () => h.stack.queues.calls.getJob(`bot-turn.${callSid}.${turn}`));
  return job.data as JobData<'bot-turn'>;
}

/** The system message of the latest model request. */
function lastSystemPrompt(h: VoiceHarness): string {
  const request = h.stack.sandbox.openaiRequests().at(-1) as { messages: { role: string; content: string }[] };
  return request.messages.find((message) => message.role === 'system')?.content ?? '';
}

describe('a conversation', () => {
  let h: VoiceHarness;
  let userId: string;
  beforeAll(async () => {
    h = await startVoiceHarness({ VOICE_BOT_TRANSFER_NUMBER: '+15005550010' });
    userId = await createCaller(h.stack.testDb.db, KNOWN_CALLER, 'Ada');
    await createCaller(h.stack.testDb.db, OPTED_OUT_CALLER, 'Grace');
    await h.stack.testDb.db
      .insertInto('sms_opt_outs')
      .values({ phone_number: OPTED_OUT_CALLER, opted_out: true, keyword: 'STOP', changed_at: new Date() })
      .execute();
    const earlierCall = `CA${'e'.repeat(32)}`;
    await h.stack.testDb.db
      .insertInto('call_history')
      .values({ call_sid: earlierCall, phone_number: KNOWN_CALLER, user_id: userId, call_status: 'completed' })
      .execute();
    await h.stack.testDb.db
      .insertInto('call_analyses')
      .values({
        call_sid: earlierCall,
        user_id: userId,
        model: 'gpt-4o-mini',
        summary: 'Ada asked for a recap of Dark Waters.',
        action_items: JSON.stringify(['Send the Dark Waters recap']),
        sentiment: 'positive',
        follow_up_needed: true,
        transcript_sha256: 'x',
      })
      .execute();
  });
  afterEach(() => h.stack.sandbox.setOpenAIMode({}));
  afterAll(async () => {
    await h.close();
  });

  it('streams the reply token by token, ends it with last: true and stores the turn', async () => {
    h.stack.sandbox.setOpenAIMode({ interTokenMs: 5 });
    const greeting = 'Hi Ada, thanks for calling Series Killer.';
    const call = await h.call(KNOWN_CALLER, { customParameters: { welcomeGreeting: greeting } });
    call.send({ type: 'prompt', voicePrompt: 'What should I watch tonight?', lang: 'en-US', last: true });
    const reply = await call.reply();

    const texts = call.received.filter((m) => m.type === 'text');
    expect(texts.length).toBeGreaterThan(3);
    expect(reply).toBe(
      'You said: What should I watch tonight? I can help you with that. Is there anything else you would like to know?',
    );
    // The caller's context, loaded once at setup, reaches the model: name, place, memory.
    const system = lastSystemPrompt(h);
    expect(system).toContain('The caller is Ada');
    expect(system).toContain('Portland');
    expect(system).toContain('Ada asked for a recap of Dark Waters. Open items: Send the Dark Waters recap.');
    // The greeting Twilio spoke comes before the caller's first words.
    const request = h.stack.sandbox.openaiRequests().at(-1) as { messages: { role: string; content: string }[] };
    expect(request.messages.slice(1).map((m) => m.role)).toEqual(['assistant', 'user']);
    expect(request.messages[1]?.content).toBe(greeting);

    // The greeting is the call's first turn, stored at once; the caller's turn once the next one
    // begins (or the call ends).
    expect(await turnJob(h, call.callSid, 1)).toMatchObject({ turn: 1, callerText: '', botText: greeting });
    call.close();
    expect(await turnJob(h, call.callSid, 2)).toMatchObject({
      callSid: call.callSid,
      turn: 2,
      callerText: 'What should I watch tonight?',
      botText: reply,
      interrupted: false,
      digits: '',
      actions: [],
    });
  });

  it('stops the model at an interrupt: no token after it, and the turn keeps only what the caller heard', async () => {
    h.stack.sandbox.setOpenAIMode({ interTokenMs: 150 });
    const call = await h.call(STRANGER);
    call.send({ type: 'prompt', voicePrompt: 'Tell me everything about the new season', last: true });
    const first = await call.next((m) => m.type === 'text');
    call.send({ type: 'interrupt', utteranceUntilInterrupt: String(first.token), durationUntilInterruptMs: '420' });
    await waitFor('model stream aborted', () => h.stack.sandbox.openaiStreams().aborted === 1);
    // How long the service took to abort the model's stream is measured.
    await waitFor('the abort timed', async () =>
      (await h.voice.metrics.getSingleMetricAsString('voice_interrupt_abort_seconds')).includes(
        'voice_interrupt_abort_seconds_count 1',
      ),
    );
    const interruptedAt = call.received.length;
    h.stack.sandbox.setOpenAIMode({});

    call.send({ type: 'prompt', voicePrompt: 'Never mind', last: true });
    const next = await call.reply(interruptedAt);
    expect(next).toBe('You said: Never mind. I can help you with that. Is there anything else you would like to know?');
    // Nothing of the interrupted reply arrived after the interrupt, and it never ended with last: true.
    const interruptedReply = call.received.slice(0, interruptedAt).filter((m) => m.type === 'text');
    expect(interruptedReply).toEqual([first]);
    expect(h.stack.sandbox.openaiStreams().tokensAfterAbort).toBe(0);

    expect(await turnJob(h, call.callSid, 1)).toMatchObject({
      callerText: 'Tell me everything about the new season',
      botText: first.token,
      interrupted: true,
    });
    // The model is told only what the caller heard.
    const request = h.stack.sandbox.openaiRequests().at(-1) as { messages: { role: string; content: string }[] };
    expect(request.messages.filter((m) => m.role === 'assistant').map((m) => m.content)).toEqual([first.token]);
    call.close();
  });

  it('texts a known caller what it promised, once, through the SMS queue', async () => {
    const call = await h.call(KNOWN_CALLER);
    call.send({ type: 'prompt', voicePrompt: 'Can you text me the link to the trailer?', last: true });
    expect(await call.reply()).toBe('I have just sent you a text message.');
    const send = await waitFor('send-sms job', () =>
      h.stack.queues['sms-outbound'].getJob(`send.voice-bot.${call.callSid}.1`),
    );
    expect(send.data).toMatchObject({ to: KNOWN_CALLER, userId, sendKey: `voice-bot.${call.callSid}.1` });
    call.close();
    expect(await turnJob(h, call.callSid, 1)).toMatchObject({ actions: ['text_caller'] });
  });

  it('never texts an opted-out caller', async () => {
    const call = await h.call(OPTED_OUT_CALLER);
    call.send({ type: 'prompt', voicePrompt: 'Please text me the schedule', last: true });
    await call.reply();
    call.close();
    expect(await turnJob(h, call.callSid, 1)).toMatchObject({ actions: [] });
    expect(await h.stack.queues['sms-outbound'].getJob(`send.voice-bot.${call.callSid}.1`)).toBeUndefined();
    const toolResult = (
      h.stack.sandbox.openaiRequests().at(-1) as { messages: { role: string; content: string }[] }
    ).messages.find((m) => m.role === 'tool');
    expect(toolResult?.content).toBe('not sent: the caller has opted out of text messages');
  });

  it('says goodbye and ends the session with its hand-off when the caller is done', async () => {
    const call = await h.call(STRANGER);
    call.send({ type: 'prompt', voicePrompt: 'That is all, goodbye', last: true });
    const end = await call.next((m) => m.type === 'end');
    expect(parseRelayHandoff(String(end.handoffData))).toEqual({ reason: 'goodbye', turns: 1 });
    // The goodbye the model chose (the sandbox's carries the caller's words), said before the end.
    const goodbye = await call.reply();
    expect(goodbye).toBe('That is all, goodbye');
    expect(call.received.at(-1)?.type).toBe('end');
    expect(await turnJob(h, call.callSid, 1)).toMatchObject({ actions: ['end_call'], botText: goodbye });
    call.close();
  });

  it('hands the caller to a person when asked, or when they press 0', async () => {
    const asked = await h.call(STRANGER);
    asked.send({ type: 'prompt', voicePrompt: 'Let me talk to a human', last: true });
    const end = await asked.next((m) => m.type === 'end');
    expect(parseRelayHandoff(String(end.handoffData))).toEqual({ reason: 'transfer', turns: 1 });
    asked.close();

    const pressed = await h.call(STRANGER);
    pressed.send({ type: 'dtmf', digit: '0' });
    const pressedEnd = await pressed.next((m) => m.type === 'end');
    expect(parseRelayHandoff(String(pressedEnd.handoffData))).toEqual({ reason: 'transfer', turns: 1 });
    expect(await turnJob(h, pressed.callSid, 1)).toMatchObject({ digits: '0', actions: ['transfer_to_human'] });
    pressed.close();
  });

  it('answers other digits as a turn of the conversation', async () => {
    const call = await h.call(STRANGER);
    call.send({ type: 'dtmf', digit: '5' });
    expect(await call.reply()).toContain('The caller pressed 5');
    call.close();
    expect(await turnJob(h, call.callSid, 1)).toMatchObject({ digits: '5', callerText: '' });
  });

  it('apologises and retries once when the model fails, then hands over to a person', async () => {
    h.stack.sandbox.setOpenAIMode({ failWith: 500, times: 1 });
    const once = await h.call(STRANGER);
    once.send({ type: 'prompt', voicePrompt: 'Hello there', last: true });
    expect(await once.reply()).toBe(SPOKEN.modelSlow);
    const apology = once.received.findIndex((m) => m.token === SPOKEN.modelSlow);
    expect(await once.reply(apology + 1)).toContain('You said: Hello there.');
    once.close();

    h.stack.sandbox.setOpenAIMode({ failWith: 429, times: 2 });
    const twice = await h.call(STRANGER);
    twice.send({ type: 'prompt', voicePrompt: 'Hello again', last: true });
    const end = await twice.next((m) => m.type === 'end');
    expect(parseRelayHandoff(String(end.handoffData))).toEqual({ reason: 'transfer', turns: 1 });
    const said = twice.received.filter((m) => m.type === 'text').map((m) => m.token);
    expect(said).toEqual([SPOKEN.modelSlow, SPOKEN.modelFailedTransfer]);
    twice.close();
  });

  it('carries on a reconnected call from the turns already stored', async () => {
    const callSid = `CA${'7'.repeat(32)}`;
    await h.stack.testDb.db
      .insertInto('call_transcript_segments')
      .values([
        { call_sid: callSid, track: 'inbound_track', sequence: 1, text: 'Is Dark Waters back?' },
        { call_sid: callSid, track: 'outbound_track', sequence: 1, text: 'Yes, since Friday.' },
      ])
      .execute();
    const call = await h.call(KNOWN_CALLER, { callSid });
    call.send({ type: 'prompt', voicePrompt: 'Great, thanks', last: true });
    await call.reply();
    const request = h.stack.sandbox.openaiRequests().at(-1) as { messages: { role: string; content: string }[] };
    expect(request.messages.slice(1).map((m) => `${m.role}: ${m.content}`)).toEqual([
      'user: Is Dark Waters back?',
      'assistant: Yes, since Friday.',
      'user: Great, thanks',
    ]);
    call.close();
    expect(await turnJob(h, callSid, 2)).toMatchObject({ callerText: 'Great, thanks' });
  });

  it('numbers the turns of a reconnected call after those still queued, not yet stored by the summarizer', async () => {
    const callSid = `CA${'8'.repeat(32)}`;
    const queued = (turn: number): JobData<'bot-turn'> => ({
      callSid,
      sessionId: `VX${'8'.repeat(32)}`,
      turn,
      callerText: `line ${turn}`,
      digits: '',
      botText: `reply ${turn}`,
      interrupted: false,
      actions: [],
      endedAt: new Date().toISOString(),
    });
    await addJob(h.stack.queues, 'bot-turn', queued(1));
    await addJob(h.stack.queues, 'bot-turn', queued(2));
    const call = await h.call(KNOWN_CALLER, { callSid, customParameters: { welcomeGreeting: 'Hi Ada.' } });
    call.send({ type: 'prompt', voicePrompt: 'Are you still there?', last: true });
    await call.reply();
    call.close();
    // Neither the greeting again nor a number already taken.
    expect(await turnJob(h, callSid, 3)).toMatchObject({ turn: 3, callerText: 'Are you still there?' });
    expect(await turnJob(h, callSid, 1)).toMatchObject({ callerText: 'line 1' });
  });
});

describe('a conversation with a short patience', () => {
  let h: VoiceHarness;
  beforeAll(async () => {
    h = await startVoiceHarness({ VOICE_BOT_IDLE_AFTER: '150ms', VOICE_BOT_FIRST_TOKEN_TIMEOUT: '300ms' });
  });
  afterAll(async () => {
    await h.close();
  });

  it('asks whether a silent caller is still there, then ends the call politely', async () => {
    const call = await h.call(STRANGER);
    call.send({ type: 'prompt', voicePrompt: 'Hi', last: true });
    const end = await call.next((m) => m.type === 'end');
    // Each line the bot said of its own accord is a turn of its own, in the transcript too.
    expect(parseRelayHandoff(String(end.handoffData))).toEqual({ reason: 'idle', turns: 3 });
    const lines = call.received.filter((m) => m.type === 'text' && m.last && m.token !== '').map((m) => m.token);
    expect(lines).toEqual([SPOKEN.stillThere, SPOKEN.idleGoodbye]);
    expect(await turnJob(h, call.callSid, 2)).toMatchObject({ callerText: '', botText: SPOKEN.stillThere });
    expect(await turnJob(h, call.callSid, 3)).toMatchObject({ callerText: '', botText: SPOKEN.idleGoodbye });
    call.close();
  });

  it('covers a model that sends nothing with an apology, then ends the call without a transfer number', async () => {
    h.stack.sandbox.setOpenAIMode({ failWith: 'hang', times: 2 });
    const call = await h.call(STRANGER);
    call.send({ type: 'prompt', voicePrompt: 'Hello?', last: true });
    const end = await call.next((m) => m.type === 'end');
    expect(parseRelayHandoff(String(end.handoffData))).toEqual({ reason: 'model-failed', turns: 1 });
    const said = call.received.filter((m) => m.type === 'text').map((m) => m.token);
    expect(said).toEqual([SPOKEN.modelSlow, SPOKEN.modelFailedGoodbye]);
    h.stack.sandbox.setOpenAIMode({});
    call.close();
  });
});

describe('a conversation at its maximum length', () => {
  let h: VoiceHarness;
  beforeAll(async () => {
    h = await startVoiceHarness({ VOICE_BOT_MAX_CALL: '500ms' });
  });
  afterAll(async () => {
    await h.close();
  });

  it('wraps up, and the wrap-up is a turn of the transcript', async () => {
    const call = await h.call(STRANGER);
    const end = await call.next((m) => m.type === 'end');
    expect(parseRelayHandoff(String(end.handoffData))).toEqual({ reason: 'max-call', turns: 1 });
    expect(await turnJob(h, call.callSid, 1)).toMatchObject({ callerText: '', botText: SPOKEN.maxCall });
    call.close();
  });
});
