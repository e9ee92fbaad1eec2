import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { fakeSid } from '@series-killer/shared/testing';
import { type IngressHarness, startIngressHarness } from '../testing/ingress-harness.ts';

const ACCOUNT_SID = `AC${'0'.repeat(32)}`;

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

  it('turns status callbacks into apply-sms-status jobs keyed by MessageSid, status and error code', async () => {
    const sid = fakeSid('SM');
    const sent = await h.postSigned('/twilio/sms/status', statusCallback(sid, 'sent'));
    const failed = await h.postSigned('/twilio/sms/status', statusCallback(sid, 'undelivered', '30003'));
    expect([sent.status, failed.status]).toEqual([204, 204]);

    const sentJob = await h.queues['sms-status'].getJob(`status.${sid}.sent.`);
    expect(sentJob?.name).toBe('apply-sms-status');
    expect(sentJob?.data).toMatchObject({ messageSid: sid, status: 'sent', errorCode: null });
    const failedJob = await h.queues['sms-status'].getJob(`status.${sid}.undelivered.30003`);
    expect(failedJob?.data).toEqual({
      messageSid: sid,
      status: 'undelivered',
      errorCode: 30003,
      raw: statusCallback(sid, 'undelivered', '30003'),
      receivedAt: expect.any(String),
    });
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
