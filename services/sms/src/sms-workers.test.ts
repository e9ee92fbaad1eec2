import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { addJob, type JobData, type SmsStatusCallback, sendKeyFor } from '@series-killer/shared';
import { fakeSid, uniqueTestPhone, waitFor } from '@series-killer/shared/testing';
import {
  createOnboardingMessage,
  createUser,
  readOnboardingMessage,
  readProfileStatus,
  recordAcceptedSend,
} from './testing/sms-fixtures.ts';
import { type SmsHarness, startSmsHarness } from './testing/sms-harness.ts';

let h: SmsHarness;

beforeAll(async () => {
  h = await startSmsHarness();
});

afterAll(async () => {
  await h.close();
});

async function send(data: Omit<JobData<'send-sms'>, 'sendKey'> & { sendKey?: string }): Promise<string> {
  const sendKey = data.sendKey ?? `test.${fakeSid('SM')}`;
  const jobId = await addJob(h.queues, 'send-sms', { ...data, sendKey });
  if (!jobId) throw new Error('send-sms job has no id');
  return jobId;
}

async function finishedJob(jobId: string) {
  return waitFor(`job ${jobId} to finish`, async () => {
    const job = await h.queues['sms-outbound'].getJob(jobId);
    return job?.finishedOn ? job : undefined;
  });
}

async function onboardingSend(messageType: 'welcome' | 'verification', phoneNumber?: string) {
  const user = await createUser(h.testDb.db, phoneNumber ? { phoneNumber } : {});
  const onboardingMessageId = await createOnboardingMessage(h.testDb.db, user, messageType);
  return { user, onboardingMessageId };
}

function messagesTo(to: string) {
  return h.sandbox.messages().filter((message) => message.to === to);
}

/** Message creations the sandbox was asked for, accepted or not. */
function createRequestsTo(to: string): number {
  return h.sandbox.twilioRequests().filter((request) => request.method === 'POST' && request.params.To === to).length;
}

async function historyOf(messageSid: string) {
  return h.testDb.db
    .selectFrom('sms_history')
    .select(['user_id', 'phone_number', 'direction', 'content'])
    .where('message_sid', '=', messageSid)
    .execute();
}

describe('sending', () => {
  it('sends through Twilio with the status callback, records it, and applies the callbacks that come back through the ingress', async () => {
    const { user, onboardingMessageId } = await onboardingSend('welcome');
    const jobId = await send({
      sendKey: sendKeyFor.onboardingMessage(onboardingMessageId),
      to: user.phoneNumber,
      body: 'Welcome to Series Killer, Ada!',
      userId: user.userId,
      onboardingMessageId,
    });
    const job = await finishedJob(jobId);
    expect(job.failedReason).toBeUndefined();

    const [message] = messagesTo(user.phoneNumber);
    expect(message).toMatchObject({
      to: user.phoneNumber,
      from: h.config.twilio.fromNumber,
      body: 'Welcome to Series Killer, Ada!',
      statusCallback: `${h.config.http.publicBaseUrl}/twilio/sms/status#rc=3&rp=all`,
    });
    expect(job.returnvalue).toEqual({ outcome: 'sent', messageSid: message?.sid, resumed: false });
    expect(await historyOf(message?.sid ?? '')).toEqual([
      {
        user_id: user.userId,
        phone_number: user.phoneNumber,
        direction: 'outbound',
        content: 'Welcome to Series Killer, Ada!',
      },
    ]);

    const row = await waitFor('the welcome to be delivered', async () => {
      const current = await readOnboardingMessage(h.testDb.db, onboardingMessageId);
      return current.status === 'delivered' ? current : undefined;
    });
    expect(row.message_sid).toBe(message?.sid);
    expect(row.sent_at).toBeInstanceOf(Date);
    expect(row.delivered_at).toBeInstanceOf(Date);
    expect(await readProfileStatus(h.testDb.db, user.userId)).toBe('sms_sent');
    const events = await h.testDb.db
      .selectFrom('sms_status_events')
      .select(['status', 'applied_at'])
      .where('message_sid', '=', message?.sid ?? '')
      .execute();
    expect(events.map((e) => e.status).sort()).toEqual(['delivered', 'sent']);
    expect(events.every((e) => e.applied_at !== null)).toBe(true);
  });

  it('keeps the stored body, not the code, in history', async () => {
    const { user, onboardingMessageId } = await onboardingSend('verification');
    const jobId = await send({
      to: user.phoneNumber,
      body: 'Your Series Killer code is 604213',
      storedBody: 'Your Series Killer code is ******',
      userId: user.userId,
      onboardingMessageId,
    });
    await finishedJob(jobId);
    const [message] = messagesTo(user.phoneNumber);
    expect(message?.body).toBe('Your Series Killer code is 604213');
    expect((await historyOf(message?.sid ?? ''))[0]?.content).toBe('Your Series Killer code is ******');
  });

  it('ends delivered under duplicated, shuffled callbacks, and failed with the reason when undelivered', async () => {
    const delivered = await onboardingSend('welcome');
    const undelivered = await onboardingSend('welcome');
    h.sandbox.setCallbackModeFor(delivered.user.phoneNumber, { duplicate: true, shuffle: true });
    h.sandbox.setCallbackModeFor(undelivered.user.phoneNumber, {
      duplicate: true,
      shuffle: true,
      outcome: 'undelivered',
      errorCode: 30006,
    });
    for (const { user, onboardingMessageId } of [delivered, undelivered]) {
      await send({ to: user.phoneNumber, body: `Hi ${user.userId}`, userId: user.userId, onboardingMessageId });
    }
    await waitFor('the first message to be delivered', async () => {
      const row = await readOnboardingMessage(h.testDb.db, delivered.onboardingMessageId);
      return row.status === 'delivered';
    });
    const failed = await waitFor('the second message to fail', async () => {
      const row = await readOnboardingMessage(h.testDb.db, undelivered.onboardingMessageId);
      return row.status === 'failed' ? row : undefined;
    });
    expect(failed.error_message).toBe('30006: landline or unreachable carrier');
    expect(await readProfileStatus(h.testDb.db, undelivered.user.userId)).toBe('failed');
    // Every distinct callback is logged once, however often it was posted.
    const sid = failed.message_sid ?? '';
    await waitFor('both callbacks of the failed message to be logged', async () => {
      const events = await h.testDb.db
        .selectFrom('sms_status_events')
        .select(['status'])
        .where('message_sid', '=', sid)
        .execute();
      return events.length === 2;
    });
  });

  it('recovers from a 429 and a 500 from Twilio, sending once', async () => {
    const to = uniqueTestPhone();
    h.sandbox.setTwilioMode({ failWith: 429, times: 1 });
    const limited = await finishedJob(await send({ to, body: 'after a 429', userId: null }));
    h.sandbox.setTwilioMode({ failWith: 500, times: 1 });
    const retried = await finishedJob(await send({ to, body: 'after a 500', userId: null }));
    expect(limited.returnvalue).toMatchObject({ outcome: 'sent' });
    expect(retried.returnvalue).toMatchObject({ outcome: 'sent' });
    expect(retried.attemptsMade).toBe(2);
    expect(messagesTo(to).map((m) => m.body)).toEqual(['after a 429', 'after a 500']);
  });
});

describe('Twilio refusals', () => {
  const magicNumbers = [
    ['+15005550001', "21211: invalid 'To' phone number"],
    ['+15005550002', "21612: 'To' phone number is not reachable or not supported by this sender"],
    ['+15005550003', '21408: permission to send an SMS to this region is not enabled'],
    ['+15005550004', '21610: recipient has unsubscribed (replied STOP)'],
    ['+15005550009', "21614: 'To' phone number is not a mobile number"],
  ] as const;

  for (const [to, reason] of magicNumbers) {
    it(`fails ${to} at once with "${reason}"`, async () => {
      const { user, onboardingMessageId } = await onboardingSend('welcome', to);
      const job = await finishedJob(await send({ to, body: 'Welcome!', userId: user.userId, onboardingMessageId }));
      expect(job.failedReason).toBe(reason);
      expect(job.attemptsMade).toBe(1);
      expect(createRequestsTo(to)).toBe(1);
      expect(await readOnboardingMessage(h.testDb.db, onboardingMessageId)).toMatchObject({
        status: 'failed',
        error_message: reason,
        message_sid: null,
      });
      expect(await readProfileStatus(h.testDb.db, user.userId)).toBe('failed');
    });
  }

  it('records the opt-out Twilio reports (21610) and never calls Twilio for that number again', async () => {
    const to = '+15005550004';
    const optOut = await h.testDb.db
      .selectFrom('sms_opt_outs')
      .select(['opted_out', 'keyword'])
      .where('phone_number', '=', to)
      .executeTakeFirstOrThrow();
    expect(optOut).toEqual({ opted_out: true, keyword: 'twilio-21610' });

    const job = await finishedJob(await send({ to, body: 'Are you there?', userId: null }));
    expect(job.failedReason).toBe('opted out');
    expect(job.attemptsMade).toBe(1);
    expect(createRequestsTo(to)).toBe(1);
  });
});

describe('inbound SMS through the ingress', () => {
  async function inboundRow(messageSid: string) {
    return waitFor('the inbound message to be recorded', async () => (await historyOf(messageSid))[0]);
  }

  it('opts out on STOP and back in on START; sends in between are refused without calling Twilio', async () => {
    const user = await createUser(h.testDb.db);
    const stop = await h.sandbox.sendInboundSms({
      from: user.phoneNumber,
      to: h.config.twilio.fromNumber ?? '',
      body: 'Stop',
    });
    expect(await inboundRow(stop.messageSid)).toMatchObject({
      user_id: user.userId,
      direction: 'inbound',
      content: 'Stop',
    });
    const refused = await finishedJob(await send({ to: user.phoneNumber, body: 'refused', userId: user.userId }));
    expect(refused.failedReason).toBe('opted out');

    const start = await h.sandbox.sendInboundSms({
      from: user.phoneNumber,
      to: h.config.twilio.fromNumber ?? '',
      body: 'START',
    });
    await inboundRow(start.messageSid);
    const accepted = await finishedJob(await send({ to: user.phoneNumber, body: 'welcome back', userId: user.userId }));
    expect(accepted.returnvalue).toMatchObject({ outcome: 'sent' });
    expect(messagesTo(user.phoneNumber).map((m) => m.body)).toEqual(['welcome back']);
  });

  it('records a message from an unknown number, emoji intact, and hands a 6-digit reply to verification', async () => {
    const from = uniqueTestPhone();
    const emoji = await h.sandbox.sendInboundSms({
      from,
      to: h.config.twilio.fromNumber ?? '',
      body: 'hi 👋🏾 ça va?',
    });
    expect(await inboundRow(emoji.messageSid)).toEqual({
      user_id: null,
      phone_number: from,
      direction: 'inbound',
      content: 'hi 👋🏾 ça va?',
    });

    const code = await h.sandbox.sendInboundSms({ from, to: h.config.twilio.fromNumber ?? '', body: '913402' });
    await inboundRow(code.messageSid);
    const verify = await waitFor('the verify-code job', () => h.queues.onboarding.getJob(`verify.${code.messageSid}`));
    expect(verify.data).toEqual({ phoneNumber: from, code: '913402', messageSid: code.messageSid });
  });
});

function statusCallback(messageSid: string, status: SmsStatusCallback['status'], errorCode: number | null = null) {
  return {
    messageSid,
    status,
    errorCode,
    raw: { MessageSid: messageSid, MessageStatus: status, To: '+15550001111' },
    receivedAt: new Date().toISOString(),
  } satisfies SmsStatusCallback;
}

describe('status callbacks', () => {
  it('keeps a callback that arrives before its send in Postgres, without retrying, until the send records it', async () => {
    const { user, onboardingMessageId } = await onboardingSend('welcome');
    const messageSid = fakeSid('SM');
    const jobId = await addJob(h.queues, 'apply-sms-statuses', {
      callbacks: [statusCallback(messageSid, 'delivered')],
    });
    const job = await waitFor('the early callback to be done', async () => {
      const current = await h.queues['sms-status'].getJob(jobId ?? '');
      return current?.finishedOn ? current : undefined;
    });
    expect(job.attemptsMade).toBe(1);
    expect(job.returnvalue).toMatchObject({ applied: 1, waiting: 1 });

    await recordAcceptedSend(h.testDb.db, user, messageSid, onboardingMessageId);
    const row = await readOnboardingMessage(h.testDb.db, onboardingMessageId);
    expect(row.status).toBe('delivered');
    expect(row.delivered_at).toBeInstanceOf(Date);
  });

  it('fails only the poisoned callback of a batch, with its reason, and applies the others', async () => {
    const sends = [await onboardingSend('welcome'), await onboardingSend('welcome')];
    const sids = sends.map(() => fakeSid('SM'));
    for (const [index, send] of sends.entries())
      await recordAcceptedSend(h.testDb.db, send.user, sids[index] ?? '', send.onboardingMessageId);
    const poisonedSid = fakeSid('SM');
    await addJob(h.queues, 'apply-sms-statuses', {
      callbacks: [
        statusCallback(sids[0] ?? '', 'delivered'),
        statusCallback(poisonedSid, 'failed', 99_999_999_999),
        statusCallback(sids[1] ?? '', 'delivered'),
      ],
    });
    const poisoned = await waitFor('the poisoned callback to fail on its own', async () => {
      const job = await h.queues['sms-status'].getJob(`status.${poisonedSid}.failed.99999999999`);
      return job?.failedReason ? job : undefined;
    });
    expect(poisoned.failedReason).toMatch(`status callback ${poisonedSid} failed can never be applied`);
    expect(poisoned.stacktrace?.length ?? 0).toBeLessThanOrEqual(1);
    for (const send of sends)
      expect((await readOnboardingMessage(h.testDb.db, send.onboardingMessageId)).status).toBe('delivered');
  });

  it('keeps finished jobs bounded in Redis, without the callbacks’ phone numbers', async () => {
    const callbacks = Array.from({ length: 1_100 }, () => statusCallback(fakeSid('SM'), 'sent'));
    await h.queues['sms-status'].addBulk(
      callbacks.map((callback) => ({ name: 'apply-sms-statuses', data: { callbacks: [callback] } })),
    );
    await waitFor(
      'every callback to be logged',
      async () => {
        const { count } = await h.testDb.db
          .selectFrom('sms_status_events')
          .select((eb) => eb.fn.countAll<string>().as('count'))
          .where(
            'message_sid',
            'in',
            callbacks.map((c) => c.messageSid),
          )
          .executeTakeFirstOrThrow();
        return Number(count) === callbacks.length;
      },
      { timeoutMs: 60_000, intervalMs: 250 },
    );
    await waitFor('the queue to be idle', async () => {
      const counts = await h.queues['sms-status'].getJobCounts('active', 'wait');
      return counts.active === 0 && counts.wait === 0;
    });
    const completed = await h.queues['sms-status'].getJobs(['completed'], 0, -1);
    expect(completed.length).toBeGreaterThan(0);
    expect(completed.length).toBeLessThanOrEqual(1_000);
    await waitFor('the completed jobs to be redacted', async () => {
      const jobs = await h.queues['sms-status'].getJobs(['completed'], 0, 50);
      return jobs.every((job) => !JSON.stringify(job.data).includes('+1555'));
    });
  }, 90_000);
});
