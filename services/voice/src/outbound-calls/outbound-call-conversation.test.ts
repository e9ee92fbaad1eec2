import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { OUTBOUND_CALL_PARAMETERS, VOICE_RELAY_PATH } from '@series-killer/shared';
import { fakeSid, uniqueTestPhone } from '@series-killer/shared/testing';
import { sql } from 'kysely';
import { connectRelay, upgradeSignature } from '../testing/relay-client.ts';
import { PUBLIC_RELAY_URL, startVoiceHarness, type VoiceHarness } from '../testing/voice-harness.ts';

function systemPrompt(h: VoiceHarness): string {
  const request = h.stack.sandbox.openaiRequests().at(-1) as { messages: { role: string; content: string }[] };
  return request.messages.find((message) => message.role === 'system')?.content ?? '';
}

describe('the voice bot on a call we placed', () => {
  let h: VoiceHarness;
  const phone = uniqueTestPhone();
  beforeAll(async () => {
    h = await startVoiceHarness();
    const userId = randomUUID();
    const { db } = h.stack.testDb;
    await sql`select public.create_integration_test_user(${userId}::uuid, ${phone}, ${null})`.execute(db);
    await db
      .insertInto('user_profiles')
      .values({ user_id: userId, first_name: 'Ada', last_name: 'Lovelace', onboarding_status: 'completed' })
      .execute();
    await db.insertInto('phone_links').values({ user_id: userId, phone_number: phone, verified: true }).execute();
  });
  afterAll(async () => {
    await h.close();
  });

  it('knows it placed the call, to whom, and what about', async () => {
    const signature = upgradeSignature(h.stack.config.twilio.authToken, PUBLIC_RELAY_URL);
    const call = await connectRelay(h.voice.url, VOICE_RELAY_PATH, { 'X-Twilio-Signature': signature });
    call.send({
      type: 'setup',
      sessionId: fakeSid('VX'),
      callSid: fakeSid('CA'),
      from: '+15005550006',
      to: phone,
      direction: 'outbound-api',
      customParameters: {
        [OUTBOUND_CALL_PARAMETERS.outboundCallId]: randomUUID(),
        [OUTBOUND_CALL_PARAMETERS.purpose]: 'remind them of Friday’s episode',
      },
    });
    call.send({ type: 'prompt', voicePrompt: 'Hello?', last: true });
    await call.reply();
    const prompt = systemPrompt(h);
    expect(prompt).toContain('The caller is Ada');
    expect(prompt).toContain('Series Killer placed this call');
    expect(prompt).toContain('The call is about: remind them of Friday’s episode');
    call.close();
  });
});
