import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { fakeSid } from '@series-killer/shared/testing';
import twilio from 'twilio';
import type { MessageStatus } from 'twilio/lib/rest/api/v2010/account/message.js';
import { type IngressHarness, startIngressHarness } from '../testing/ingress-harness.ts';

const ACCOUNT_SID = `AC${'0'.repeat(32)}`;

/** Every status of the Twilio SDK's MessageStatus type: the compiler checks that none is missing. */
const SDK_MESSAGE_STATUSES = Object.keys({
  queued: true,
  sending: true,
  sent: true,
  failed: true,
  delivered: true,
  undelivered: true,
  receiving: true,
  received: true,
  accepted: true,
  scheduled: true,
  read: true,
  partially_delivered: true,
  canceled: true,
} satisfies Record<MessageStatus, true>);

/** The parameters Twilio posts for an inbound SMS to a US long code. */
function inboundSms(messageSid: string, body: string): Record<string, string> {
  return {
    ToCountry: 'US',
    ToState: 'OR',
    SmsMessageSid: messageSid,
    NumMedia: '0',
    ToCity: 'PORTLAND',
    FromZip: '97201',
    SmsSid: messageSid,
    FromState: 'OR',
    SmsStatus: 'received',
    FromCity: 'PORTLAND',
    Body: body,
    FromCountry: 'US',
    To: '+15005550006',
    MessagingServiceSid: fakeSid('MG'),
    ToZip: '97201',
    NumSegments: '1',
    MessageSid: messageSid,
    AccountSid: ACCOUNT_SID,
    From: '+19713364433',
    ApiVersion: '2010-04-01',
  };
}

/** The parameters of a message status callback. */
function statusCallback(messageSid: string, status: string, errorCode?: string): Record<string, string> {
  return {
    SmsSid: messageSid,
    SmsStatus: status,
    MessageStatus: status,
    To: '+19713364433',
    MessageSid: messageSid,
    AccountSid: ACCOUNT_SID,
    From: '+15005550006',
    ApiVersion: '2010-04-01',
    ...(errorCode ? { ErrorCode: errorCode } : {}),
  };
}

describe('SMS webhooks', () => {
  let h: IngressHarness;
  beforeAll(async () => {
    h = await startIngressHarness();
  });
  afterAll(async () => {
    await h.close();
  });

  it('turns an inbound SMS into one record-inbound-sms job keyed by MessageSid', async () => {
    const sid = fakeSid('SM');
    const response = await h.postSigned('/twilio/sms', inboundSms(sid, 'Hello <there> & 123456'));
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^text\/xml/);
    expect(await response.text()).toBe('<?xml version="1.0" encoding="UTF-8"?><Response/>');

    const job = await h.queues['sms-inbound'].getJob(`inbound.${sid}`);
    expect(job?.name).toBe('record-inbound-sms');
    expect(job?.data).toEqual({
      messageSid: sid,
      accountSid: ACCOUNT_SID,
      from: '+19713364433',
      to: '+15005550006',
      body: 'Hello <there> & 123456',
      numMedia: 0,
      numSegments: 1,
      receivedAt: expect.any(String),
    });
  });

  it('collapses the same inbound SMS posted twice into one job', async () => {
    const before = await h.jobCount('sms-inbound');
    const params = inboundSms(fakeSid('SM'), 'twice');
    const [first, second] = await Promise.all([
      h.postSigned('/twilio/sms', params),
      h.postSigned('/twilio/sms', params),
    ]);
    const third = await h.postSigned('/twilio/sms', params);
    expect([first.status, second.status, third.status]).toEqual([200, 200, 200]);
    expect(await h.jobCount('sms-inbound')).toBe(before + 1);
  });

  it('normalises a sender number to E.164', async () => {
    const sid = fakeSid('SM');
    const response = await h.postSigned('/twilio/sms', { ...inboundSms(sid, 'hi'), From: '19713364433' });
    expect(response.status).toBe(200);
    expect((await h.queues['sms-inbound'].getJob(`inbound.${sid}`))?.data.from).toBe('+19713364433');
  });

  it('turns a status callback into an apply-sms-statuses job keyed by MessageSid, status and error code', async () => {
    const sid = fakeSid('SM');
    const sent = await h.postSigned('/twilio/sms/status', statusCallback(sid, 'sent'));
    const failed = await h.postSigned('/twilio/sms/status', statusCallback(sid, 'undelivered', '30003'));
    expect([sent.status, failed.status]).toEqual([204, 204]);

    const sentJob = await h.queues['sms-status'].getJob(`status.${sid}.sent.`);
    expect(sentJob?.name).toBe('apply-sms-statuses');
    expect(sentJob?.data.callbacks).toMatchObject([{ messageSid: sid, status: 'sent', errorCode: null }]);
    const failedJob = await h.queues['sms-status'].getJob(`status.${sid}.undelivered.30003`);
    expect(failedJob?.data).toEqual({
      callbacks: [
        {
          messageSid: sid,
          status: 'undelivered',
          errorCode: 30003,
          raw: statusCallback(sid, 'undelivered', '30003'),
          receivedAt: expect.any(String),
        },
      ],
    });
  });

  it('carries the callbacks that arrive together in one job', async () => {
    const sids = Array.from({ length: 20 }, () => fakeSid('SM'));
    const responses = await Promise.all(
      sids.map((sid) => h.postSigned('/twilio/sms/status', statusCallback(sid, 'delivered'))),
    );
    expect(responses.every((response) => response.status === 204)).toBe(true);
    const jobs = await h.queues['sms-status'].getJobs(['wait', 'active', 'completed', 'delayed']);
    const carried = jobs.flatMap((job) => (job.data.callbacks as { messageSid: string }[]).map((c) => c.messageSid));
    expect(carried.filter((sid) => sids.includes(sid)).sort()).toEqual([...sids].sort());
    const carrying = jobs.filter((job) =>
      (job.data.callbacks as { messageSid: string }[]).some((c) => sids.includes(c.messageSid)),
    );
    expect(carrying.length).toBeLessThan(sids.length);
  });

  it('accepts every status the Twilio SDK lists, partially_delivered included', async () => {
    for (const status of SDK_MESSAGE_STATUSES) {
      const sid = fakeSid('SM');
      const response = await h.postSigned('/twilio/sms/status', statusCallback(sid, status));
      expect({ status, answer: response.status }).toEqual({ status, answer: 204 });
      expect((await h.queues['sms-status'].getJob(`status.${sid}.${status}.`))?.data.callbacks[0].status).toBe(status);
    }
  });

  it('accepts a callback that repeats a parameter, reading its first value and keeping every one', async () => {
    const sid = fakeSid('SM');
    const entries: [string, string][] = [
      ...Object.entries(statusCallback(sid, 'delivered')),
      ['MessageStatus', 'delivered'],
    ];
    const params: Record<string, string | string[]> = {};
    for (const [key, value] of entries) {
      const seen = params[key];
      params[key] = seen === undefined ? value : [...(Array.isArray(seen) ? seen : [seen]), value];
    }
    const response = await fetch(`${h.ingress.url}/twilio/sms/status`, {
      method: 'POST',
      headers: {
        'X-Twilio-Signature': twilio.getExpectedTwilioSignature(
          h.config.twilio.authToken,
          `${h.config.http.publicBaseUrl}/twilio/sms/status`,
          params,
        ),
      },
      body: new URLSearchParams(entries),
    });
    expect(response.status).toBe(204);
    const [callback] = (await h.queues['sms-status'].getJob(`status.${sid}.delivered.`))?.data.callbacks ?? [];
    expect(callback).toMatchObject({ status: 'delivered', raw: { MessageStatus: ['delivered', 'delivered'] } });
  });

  it('collapses a duplicated status callback into one job', async () => {
    const before = await h.jobCount('sms-status');
    const params = statusCallback(fakeSid('SM'), 'delivered');
    await h.postSigned('/twilio/sms/status', params);
    await h.postSigned('/twilio/sms/status', params);
    expect(await h.jobCount('sms-status')).toBe(before + 1);
  });

  it('answers 400 naming the field of a signed but malformed payload, and enqueues nothing', async () => {
    const before = await h.jobCount('sms-status');
    const unknownStatus = await h.postSigned('/twilio/sms/status', statusCallback(fakeSid('SM'), 'teleported'));
    expect(unknownStatus.status).toBe(400);
    expect(Object.keys(((await unknownStatus.json()) as { errors: object }).errors)).toEqual(['MessageStatus']);

    const { MessageSid: _omitted, ...withoutSid } = inboundSms(fakeSid('SM'), 'no sid');
    const missingSid = await h.postSigned('/twilio/sms', withoutSid);
    expect(missingSid.status).toBe(400);
    expect(((await missingSid.json()) as { errors: object }).errors).toHaveProperty('MessageSid');
    expect(await h.jobCount('sms-status')).toBe(before);
  });

  it('answers 400 to a NUL character, which Postgres could never store, and enqueues nothing', async () => {
    const before = await h.jobCount('sms-inbound');
    const response = await h.postSigned('/twilio/sms', inboundSms(fakeSid('SM'), 'hello\u0000world'));
    expect(response.status).toBe(400);
    expect(((await response.json()) as { errors: object }).errors).toEqual({
      Body: 'must not contain a NUL character',
    });
    expect(await h.jobCount('sms-inbound')).toBe(before);
  });
});
