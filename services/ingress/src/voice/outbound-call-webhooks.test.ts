import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { scheduleOutboundCall } from '@series-killer/shared';
import { fakeSid, uniqueTestPhone } from '@series-killer/shared/testing';
import { sql } from 'kysely';
import { type IngressHarness, startIngressHarness } from '../testing/ingress-harness.ts';

const ACCOUNT_SID = `AC${'0'.repeat(32)}`;

/** What Twilio posts for a call we placed: to the user, from our number. */
function outboundParams(callSid: string, to: string, extra: Record<string, string>): Record<string, string> {
  return {
    AccountSid: ACCOUNT_SID,
    ApiVersion: '2010-04-01',
    CallSid: callSid,
    Direction: 'outbound-api',
    From: '+15005550006',
    To: to,
    ...extra,
  };
}

describe('an outbound call at the ingress', () => {
  let h: IngressHarness;
  let id: string;
  let phone: string;
  beforeAll(async () => {
    h = await startIngressHarness();
    const userId = randomUUID();
    phone = uniqueTestPhone();
    const { db } = h.testDb;
    await sql`select public.create_integration_test_user(${userId}::uuid, ${phone}, ${null})`.execute(db);
    await db
      .insertInto('user_profiles')
      .values({ user_id: userId, first_name: 'Ada', last_name: 'Lovelace', onboarding_status: 'completed' })
      .execute();
    await db.insertInto('preferences').values({ user_id: userId, voice_preference: 'Polly.Amy' }).execute();
    const scheduled = await scheduleOutboundCall(db, {
      userId,
      phoneNumber: phone,
      purpose: 'Friday’s episode',
      idempotencyKey: null,
      notBefore: new Date(),
    });
    id = scheduled.call.id;
  });
  afterAll(async () => {
    await h.close();
  });

  const twiml = async (answeredBy: string, callId = id) => {
    const response = await h.postSigned(
      `/twilio/voice/outbound?outboundCallId=${callId}`,
      outboundParams(fakeSid('CA'), phone, { CallStatus: 'in-progress', AnsweredBy: answeredBy }),
    );
    expect(response.status).toBe(200);
    return response.text();
  };

  it('connects a person to the voice bot, greeted as an outbound call and told its purpose', async () => {
    for (const answeredBy of ['human', 'unknown']) {
      const body = await twiml(answeredBy);
      expect(body).toContain(
        `<Connect action="${h.config.http.publicBaseUrl}/twilio/voice/relay-ended" method="POST">`,
      );
      expect(body).toContain(`welcomeGreeting="Hi Ada, it's Series Killer calling about Friday’s episode."`);
      expect(body).toContain(`<Parameter name="outboundCallId" value="${id}"/>`);
      expect(body).toContain('<Parameter name="callPurpose" value="Friday’s episode"/>');
      expect(body).not.toContain('<Say');
    }
  });

  it('leaves a voicemail a short message in the user’s voice and hangs up, without the bot', async () => {
    const body = await twiml('machine_end_beep');
    expect(body).toBe(
      `<?xml version="1.0" encoding="UTF-8"?><Response><Say voice="Polly.Amy">Hi Ada, it's Series Killer. ` +
        'Sorry we missed you; we will try again another time. Goodbye.</Say><Hangup/></Response>',
    );
  });

  it('greets generically when the call is not found, and refuses a bad id or an unsigned request', async () => {
    expect(await twiml('human', randomUUID())).toContain(`welcomeGreeting="Hi, it's Series Killer calling."`);
    const bad = await h.postSigned(
      '/twilio/voice/outbound?outboundCallId=42',
      outboundParams(fakeSid('CA'), phone, {}),
    );
    expect(bad.status).toBe(400);
    const unsigned = await fetch(`${h.ingress.url}/twilio/voice/outbound?outboundCallId=${id}`, {
      method: 'POST',
      body: new URLSearchParams(outboundParams(fakeSid('CA'), phone, { CallStatus: 'in-progress' })),
    });
    expect(unsigned.status).toBe(403);
  });

  it('turns a status callback into the call’s history job, and its outcome into the placing worker’s', async () => {
    const callSid = fakeSid('CA');
    const post = (status: string, sequence: number, extra: Record<string, string> = {}) =>
      h.postSigned(
        `/twilio/voice/outbound/status?outboundCallId=${id}`,
        outboundParams(callSid, phone, { CallStatus: status, SequenceNumber: String(sequence), ...extra }),
      );
    expect((await post('ringing', 1)).status).toBe(204);
    expect((await post('busy', 2)).status).toBe(204);
    expect((await post('in-progress', 3, { AnsweredBy: 'machine_start' })).status).toBe(204);

    expect((await h.queues.calls.getJob(`call-status.${callSid}.ringing.1`))?.data).toMatchObject({
      direction: 'outbound-api',
      to: phone,
    });
    expect(await h.queues['outbound-call-outcomes'].getJob(`outbound-call-outcome.${callSid}.ringing`)).toBeUndefined();
    expect((await h.queues['outbound-call-outcomes'].getJob(`outbound-call-outcome.${callSid}.busy`))?.data).toEqual({
      outboundCallId: id,
      callSid,
      callStatus: 'busy',
      answeredBy: null,
    });
    expect(
      (await h.queues['outbound-call-outcomes'].getJob(`outbound-call-outcome.${callSid}.in-progress`))?.data,
    ).toMatchObject({ answeredBy: 'machine_start' });
  });
});
