import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { SANDBOX_DEFAULTS } from '@series-killer/shared';
import { waitFor } from '@series-killer/shared/testing';
import { createTwilioClient, type TwilioClient } from '@series-killer/shared/twilio';
import { type Sandbox, startSandbox } from '../../sandbox.ts';
import { twilioRejectionOf } from '../../testing/twilio-rejection.ts';

const accountSid = SANDBOX_DEFAULTS.twilioAccountSid;
const authToken = SANDBOX_DEFAULTS.twilioAuthToken;
const from = SANDBOX_DEFAULTS.twilioFromNumber;

let sandbox: Sandbox;
let client: TwilioClient;

beforeAll(async () => {
  sandbox = await startSandbox({ accountSid, authToken });
  client = createTwilioClient({ accountSid, authToken, apiBaseUrl: sandbox.url });
  sandbox.setCallbackMode({ enabled: false });
});

afterAll(async () => {
  await sandbox.close();
});

describe('Messages API', () => {
  it('creates a message and answers with a Twilio-shaped resource', async () => {
    const message = await client.messages.create({
      to: '+14155550100',
      from,
      body: 'Welcome to Series Killer!',
      statusCallback: 'https://example.com/twilio/sms/status',
    });

    expect(message.sid).toMatch(/^SM[0-9a-f]{32}$/);
    expect(message.accountSid).toBe(accountSid);
    expect(message.status).toBe('queued');
    expect(message.to).toBe('+14155550100');
    expect(message.from).toBe(from);
    expect(message.body).toBe('Welcome to Series Killer!');
    expect(message.numSegments).toBe('1');
    expect(message.numMedia).toBe('0');
    expect(message.direction).toBe('outbound-api');
    expect(message.apiVersion).toBe('2010-04-01');
    expect(message.errorCode).toBeNull();
    expect(message.dateCreated).toBeInstanceOf(Date);
    expect(Number.isNaN(message.dateCreated.getTime())).toBe(false);
    expect(message.uri).toBe(`/2010-04-01/Accounts/${accountSid}/Messages/${message.sid}.json`);

    const recorded = sandbox.messages().find((m) => m.sid === message.sid);
    expect(recorded).toMatchObject({
      to: '+14155550100',
      from,
      body: 'Welcome to Series Killer!',
      statusCallback: 'https://example.com/twilio/sms/status',
      messagingServiceSid: null,
      errorCode: null,
    });
    expect(typeof recorded?.receivedAt).toBe('number');
  });

  it('answers `accepted` without a From when a Messaging Service sends', async () => {
    const messagingServiceSid = `MG${'1'.repeat(32)}`;
    const message = await client.messages.create({ to: '+14155550101', messagingServiceSid, body: 'hi' });
    expect(message.status).toBe('accepted');
    expect(message.from).toBeNull();
    expect(message.messagingServiceSid).toBe(messagingServiceSid);
  });

  it('counts segments as Twilio does', async () => {
    const long = await client.messages.create({ to: '+14155550102', from, body: 'a'.repeat(161) });
    const unicode = await client.messages.create({ to: '+14155550102', from, body: 'ł'.repeat(71) });
    expect(long.numSegments).toBe('2');
    expect(unicode.numSegments).toBe('2');
  });

  it('fetches a message by SID, and answers 404 (20404) for an unknown one', async () => {
    const created = await client.messages.create({ to: '+14155550103', from, body: 'fetch me' });
    const fetched = await client.messages(created.sid).fetch();
    expect(fetched.sid).toBe(created.sid);
    expect(fetched.body).toBe('fetch me');

    const error = await twilioRejectionOf(client.messages(`SM${'0'.repeat(32)}`).fetch());
    expect(error.status).toBe(404);
    expect(error.code).toBe(20404);
  });

  it('lists newest first, filtered by To, across pages as Twilio pages', async () => {
    const to = '+14155550199';
    const sids: string[] = [];
    for (let i = 0; i < 5; i++) sids.push((await client.messages.create({ to, from, body: `n${i}` })).sid);

    const all = await client.messages.list({ to, pageSize: 2 });
    expect(all.map((m) => m.sid)).toEqual([...sids].reverse());

    const limited = await client.messages.list({ to, limit: 3, pageSize: 2 });
    expect(limited.map((m) => m.body)).toEqual(['n4', 'n3', 'n2']);

    const firstPage = await client.messages.page({ to, pageSize: 2 });
    expect(firstPage.instances).toHaveLength(2);
    const secondPage = await firstPage.nextPage();
    expect(secondPage?.instances.map((m) => m.body)).toEqual(['n2', 'n1']);
    const back = await secondPage?.previousPage();
    expect(back?.instances.map((m) => m.body)).toEqual(['n4', 'n3']);
  });

  it('filters by DateSent once messages have been sent', async () => {
    sandbox.setCallbackMode({ enabled: false });
    const to = '+14155550198';
    const created = await client.messages.create({ to, from, body: 'dated' });
    await waitFor('the message to be sent', () => sandbox.messages().find((m) => m.sid === created.sid)?.dateSent);

    const today = new Date();
    const sentToday = await client.messages.list({ to, dateSentAfter: new Date(today.getTime() - 60_000) });
    expect(sentToday.map((m) => m.sid)).toEqual([created.sid]);
    const sentLongAgo = await client.messages.list({ to, dateSentBefore: new Date('2020-01-01T00:00:00Z') });
    expect(sentLongAgo).toEqual([]);
  });

  it.each([
    ['+15005550001', 21211],
    ['+15005550002', 21612],
    ['+15005550003', 21408],
    ['+15005550004', 21610],
    ['+15005550009', 21614],
  ])('rejects the magic To number %s with error %i', async (to, code) => {
    const error = await twilioRejectionOf(client.messages.create({ to, from, body: 'magic' }));
    expect(error.status).toBe(400);
    expect(error.code).toBe(code);
    expect(error.moreInfo).toBe(`https://www.twilio.com/docs/errors/${code}`);
    expect(sandbox.messages().some((m) => m.to === to)).toBe(false);
  });

  it.each([
    ['+15005550001', 400, 21212],
    ['+15005550007', 400, 21606],
    ['+15005550008', 429, 21611],
  ])('rejects the magic From number %s with HTTP %i and error %i', async (magicFrom, status, code) => {
    const error = await twilioRejectionOf(client.messages.create({ to: '+14155550104', from: magicFrom, body: 'x' }));
    expect(error.status).toBe(status);
    expect(error.code).toBe(code);
  });

  it('rejects a create without a body (21602) or a sender (21603)', async () => {
    const noBody = await twilioRejectionOf(client.messages.create({ to: '+14155550105', from }));
    expect(noBody.code).toBe(21602);
    const noSender = await twilioRejectionOf(client.messages.create({ to: '+14155550105', body: 'x' }));
    expect(noSender.code).toBe(21603);
  });

  it('answers 401 (20003) to wrong credentials', async () => {
    const wrong = createTwilioClient({ accountSid, authToken: 'not-the-token', apiBaseUrl: sandbox.url });
    const error = await twilioRejectionOf(wrong.messages.create({ to: '+14155550106', from, body: 'x' }));
    expect(error.status).toBe(401);
    expect(error.code).toBe(20003);

    const otherAccount = createTwilioClient({ accountSid: `AC${'f'.repeat(32)}`, authToken, apiBaseUrl: sandbox.url });
    const other = await twilioRejectionOf(otherAccount.messages.list({ limit: 1 }));
    expect(other.status).toBe(401);
  });

  it('fails with Twilio 20429 while the 429 switch is on, then recovers', async () => {
    sandbox.setTwilioMode({ failWith: 429, times: 1 });
    const error = await twilioRejectionOf(client.messages.create({ to: '+14155550107', from, body: 'x' }));
    expect(error.status).toBe(429);
    expect(error.code).toBe(20429);
    await expect(client.messages.create({ to: '+14155550107', from, body: 'x' })).resolves.toMatchObject({
      status: 'queued',
    });
  });

  it('holds the next `times` requests latencyMs before handling them, then answers at once', async () => {
    sandbox.setTwilioMode({ latencyMs: 300, times: 1 });
    const to = '+14155550108';
    const created = await client.messages.create({ to, from, body: 'in flight' });
    expect((await client.messages.list({ to })).map((m) => m.sid)).toEqual([created.sid]);

    const requests = sandbox.twilioRequests().filter((r) => r.params.To === to);
    expect(requests.map((r) => [r.method, r.status, r.heldMs])).toEqual([
      ['POST', 201, 300],
      ['GET', 200, undefined],
    ]);
  });

  it('handles and logs a held create whose client stopped waiting, as Twilio does', async () => {
    sandbox.setTwilioMode({ latencyMs: 300, times: 1 });
    const impatient = createTwilioClient({ accountSid, authToken, apiBaseUrl: sandbox.url }, { timeoutMs: 50 });
    const to = '+14155550109';
    await expect(impatient.messages.create({ to, from, body: 'timed out' })).rejects.toThrow('timeout');

    await waitFor('the held create to be handled', () => sandbox.twilioRequests().find((r) => r.params.To === to));
    expect(sandbox.messages().filter((m) => m.to === to)).toHaveLength(1);
    expect(sandbox.twilioRequests().find((r) => r.params.To === to)).toMatchObject({ status: 201, heldMs: 300 });
  });

  it('logs every request, rejected ones included', () => {
    const statuses = sandbox.twilioRequests().map((r) => r.status);
    expect(statuses).toEqual(expect.arrayContaining([201, 200, 400, 401, 404, 429]));
  });
});

describe('Message redaction', () => {
  it('empties the body on an update with an empty Body, keeping the record', async () => {
    const sent = await client.messages.create({ to: '+14155550170', from, body: 'my secret plans' });

    const redacted = await client.messages(sent.sid).update({ body: '' });

    expect(redacted.body).toBe('');
    expect(redacted.sid).toBe(sent.sid);
    const fetched = await client.messages(sent.sid).fetch();
    expect([fetched.body, fetched.to]).toEqual(['', '+14155550170']);
    const request = sandbox.twilioRequests().find((r) => r.method === 'POST' && r.path.endsWith(`${sent.sid}.json`));
    expect(request?.params).toEqual({ Body: '' });
  });

  it('refuses a non-empty Body or a missing one with 30400, and an unknown SID with 20404', async () => {
    const sent = await client.messages.create({ to: '+14155550171', from, body: 'keep me' });

    const rewrite = await twilioRejectionOf(client.messages(sent.sid).update({ body: 'changed' }));
    expect([rewrite.status, rewrite.code]).toEqual([400, 30400]);
    const empty = await twilioRejectionOf(client.messages(sent.sid).update({}));
    expect([empty.status, empty.code]).toEqual([400, 30400]);
    expect((await client.messages(sent.sid).fetch()).body).toBe('keep me');

    const unknown = await twilioRejectionOf(client.messages(`SM${'0'.repeat(32)}`).update({ body: '' }));
    expect([unknown.status, unknown.code]).toEqual([404, 20404]);
  });
});
