import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { addJob } from '@series-killer/shared';
import { uniqueTestPhone, waitFor } from '@series-killer/shared/testing';
import { createTwilioClient } from '@series-killer/shared/twilio';
import { type SmsHarness, startSmsHarness } from '../testing/sms-harness.ts';
import { createTwilioMessageRedactor } from './message-redactor.ts';
import { RedactionInterruptedError, redactMessageBodies } from './redact-message-bodies.ts';

const TOKEN = 'internal-token-0123456789';

let h: SmsHarness;

beforeAll(async () => {
  h = await startSmsHarness({ env: { INTERNAL_API_TOKEN: TOKEN } });
  h.sandbox.setCallbackMode({ enabled: false });
});

afterAll(async () => {
  await h.close();
});

const from = () => h.config.twilio.fromNumber ?? '';
const messagesTo = (phone: string) => h.sandbox.messages().filter((message) => message.to === phone);
/** Redactions the sandbox answered, refused ones (a 429) included. */
const redactionRequests = () =>
  h.sandbox.twilioRequests().filter((request) => request.method === 'POST' && request.params.Body === '');
const redactionsMade = () => redactionRequests().filter((request) => request.status === 200);

async function finishedJob(queue: 'sms-outbound', jobId: string) {
  return waitFor(`job ${jobId} to finish`, async () => {
    const job = await h.queues[queue].getJob(jobId);
    return job?.finishedOn ? job : undefined;
  });
}

async function createUserThroughApi(phone: string): Promise<string> {
  const response = await fetch(`${h.ingress?.url}/api/users`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${TOKEN}` },
    body: JSON.stringify({ phone, firstName: 'Ada', lastName: 'Lovelace' }),
  });
  expect(response.status).toBe(201);
  return ((await response.json()) as { userId: string }).userId;
}

describe('erasing a user with redactAtTwilio, through the running SMS workers', () => {
  it('redacts every message Twilio holds of theirs, and their number stays refused after they sent STOP', async () => {
    const phone = uniqueTestPhone();
    const userId = await createUserThroughApi(phone);
    for (const body of ['Welcome, Ada', 'See you soon']) {
      const jobId = await addJob(h.queues, 'send-sms', { sendKey: `test.${randomUUID()}`, to: phone, body, userId });
      await finishedJob('sms-outbound', jobId ?? '');
    }
    const stop = await h.sandbox.sendInboundSms({ from: phone, to: from(), body: 'STOP' });
    await waitFor('the STOP to be recorded', async () => {
      const row = await h.testDb.db
        .selectFrom('sms_opt_outs')
        .select('opted_out')
        .where('phone_number', '=', phone)
        .executeTakeFirst();
      return row?.opted_out === true;
    });
    const sent = messagesTo(phone).map((message) => message.sid);
    expect(sent).toHaveLength(2);

    const response = await fetch(`${h.ingress?.url}/api/users/${userId}?redactAtTwilio=true`, {
      method: 'DELETE',
      headers: { Authorization: `Bearer ${TOKEN}` },
    });
    expect(response.status).toBe(202);
    const report = (await response.json()) as { erasureId: number; redactionsPending: number; redactionJobId: string };
    expect(report.redactionsPending).toBe(3);

    const job = await finishedJob('sms-outbound', report.redactionJobId);
    // The sandbox, like Twilio's API for another account's or a deleted message, does not know the inbound STOP.
    expect(job.returnvalue).toEqual({ redacted: 2, notFound: 1, failed: 0 });
    expect(messagesTo(phone).map((message) => message.body)).toEqual(['', '']);
    const redactions = await h.testDb.db
      .selectFrom('twilio_redactions')
      .select(['message_sid', 'status'])
      .where('erasure_id', '=', report.erasureId)
      .orderBy('message_sid')
      .execute();
    expect(redactions).toEqual(
      [
        ...sent.map((message_sid) => ({ message_sid, status: 'redacted' })),
        { message_sid: stop.messageSid, status: 'not-found' },
      ].sort((a, b) => a.message_sid.localeCompare(b.message_sid)),
    );

    const again = await fetch(`${h.ingress?.url}/api/users/${userId}?redactAtTwilio=1`, {
      method: 'DELETE',
      headers: { Authorization: `Bearer ${TOKEN}` },
    });
    expect(await again.json()).toMatchObject({
      redactionsPending: 0,
      redactions: redactions.map((r) => ({ messageSid: r.message_sid, status: r.status, error: null })),
    });

    const refused = await finishedJob(
      'sms-outbound',
      (await addJob(h.queues, 'send-sms', { sendKey: `test.${randomUUID()}`, to: phone, body: 'hi', userId: null })) ??
        '',
    );
    expect(refused.failedReason).toBe('opted out');
    expect(messagesTo(phone)).toHaveLength(2);
  });
});

describe('redactMessageBodies', () => {
  const redactor = () => createTwilioMessageRedactor(createTwilioClient(h.config.twilio));

  /** An erasure whose redactions are recorded for messages the sandbox holds. */
  async function erasureOf(count: number): Promise<{ erasureId: number; sids: string[] }> {
    const phone = uniqueTestPhone();
    const twilio = createTwilioClient(h.config.twilio);
    const sids: string[] = [];
    for (let i = 0; i < count; i++)
      sids.push((await twilio.messages.create({ to: phone, from: from(), body: `message ${i}` })).sid);
    const erasure = await h.testDb.db
      .insertInto('user_erasures')
      .values({ erased_user_id: randomUUID(), redact_at_twilio: true })
      .returning('id')
      .executeTakeFirstOrThrow();
    await h.testDb.db
      .insertInto('twilio_redactions')
      .values(sids.map((message_sid) => ({ message_sid, erasure_id: erasure.id })))
      .execute();
    return { erasureId: erasure.id, sids };
  }

  it('stops at a 429 leaving the rest pending, and a rerun finishes without redacting a message twice', async () => {
    const { erasureId, sids } = await erasureOf(3);
    const before = redactionsMade().length;
    h.sandbox.setTwilioMode({ failWith: 429, times: 1 });

    const interrupted = await redactMessageBodies({ db: h.testDb.db, redactor: redactor() }, erasureId).then(
      () => undefined,
      (error: unknown) => error,
    );

    expect(interrupted).toBeInstanceOf(RedactionInterruptedError);
    expect((interrupted as RedactionInterruptedError).rateLimited).toBe(true);
    const seen: string[] = [];
    const report = await redactMessageBodies({ db: h.testDb.db, redactor: redactor() }, erasureId, {
      onRedaction: (redaction) => seen.push(redaction.messageSid),
    });
    expect(report.map((r) => r.status)).toEqual(['redacted', 'redacted', 'redacted']);
    expect(seen).toEqual([...sids].sort());
    expect(redactionsMade().length - before).toBe(3);
    await redactMessageBodies({ db: h.testDb.db, redactor: redactor() }, erasureId);
    expect(redactionsMade().length - before).toBe(3);
  });

  it('spaces its requests by 1/perSecond', async () => {
    const { erasureId, sids } = await erasureOf(4);

    await redactMessageBodies({ db: h.testDb.db, redactor: redactor() }, erasureId, { perSecond: 20 });

    const times = redactionRequests()
      .filter((request) => sids.some((sid) => request.path.endsWith(`${sid}.json`)))
      .map((request) => request.at);
    expect(times).toHaveLength(4);
    // Each request starts at least 50 ms after the previous one started; `at` is when it finished, so allow its own length.
    const gaps = times.slice(1).map((at, i) => at - (times[i] as number));
    expect(Math.min(...gaps)).toBeGreaterThanOrEqual(40);
  });
});
