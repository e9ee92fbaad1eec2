import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { startTestStack, type TestStack } from '@series-killer/sandbox/testing';
import type { JobData, Queues } from '@series-killer/shared';
import { fakeSid, type TestDatabase, uniqueTestPhone } from '@series-killer/shared/testing';
import { createUser } from '../testing/sms-fixtures.ts';
import { readInboundIntent } from './inbound-intent.ts';
import { recordInboundSms } from './record-inbound-sms.ts';

let stack: TestStack;
let testDb: TestDatabase;
let queues: Queues;

beforeAll(async () => {
  stack = await startTestStack();
  ({ testDb, queues } = stack);
});

afterAll(async () => {
  await stack.close();
});

let second = 0;
function inbound(from: string, body: string): JobData<'record-inbound-sms'> {
  second += 1;
  return {
    messageSid: fakeSid('SM'),
    accountSid: `AC${'0'.repeat(32)}`,
    from,
    to: '+15005550006',
    body,
    numMedia: 0,
    numSegments: 1,
    receivedAt: new Date(Date.UTC(2025, 0, 1, 12, 0, second)).toISOString(),
  };
}

async function history(messageSid: string) {
  return testDb.db
    .selectFrom('sms_history')
    .select(['user_id', 'phone_number', 'direction', 'content'])
    .where('message_sid', '=', messageSid)
    .execute();
}

async function optOut(phoneNumber: string) {
  return testDb.db
    .selectFrom('sms_opt_outs')
    .select(['opted_out', 'keyword', 'user_id'])
    .where('phone_number', '=', phoneNumber)
    .executeTakeFirst();
}

describe('readInboundIntent', () => {
  it.each(['STOP', 'stop', '  Stop ', 'STOPALL', 'unsubscribe', 'CANCEL', 'end', 'QUIT', 'revoke', 'OptOut'])(
    'reads %p as an opt-out',
    (body) => {
      expect(readInboundIntent(body)).toEqual({ kind: 'opt-out', keyword: body.trim().toUpperCase() });
    },
  );
  it.each(['START', 'unstop', ' yes '])('reads %p as an opt-in', (body) => {
    expect(readInboundIntent(body).kind).toBe('opt-in');
  });
  it.each(['please stop', 'STOP!', '12345', '1234567', 'code 123456'])('reads %p as a plain message', (body) => {
    expect(readInboundIntent(body)).toEqual({ kind: 'message' });
  });
  it('reads a bare 6-digit reply as a code', () => {
    expect(readInboundIntent(' 042917\n')).toEqual({ kind: 'verification-code', code: '042917' });
  });
});

describe('recordInboundSms', () => {
  it('records one history row per MessageSid, with the user found through phone_links', async () => {
    const user = await createUser(testDb.db);
    const message = inbound(user.phoneNumber, 'Hello there');
    expect(await recordInboundSms({ db: testDb.db, queues }, message)).toEqual({
      outcome: 'recorded',
      intent: 'message',
    });
    expect(await recordInboundSms({ db: testDb.db, queues }, message)).toEqual({
      outcome: 'duplicate',
      intent: 'message',
    });
    expect(await history(message.messageSid)).toEqual([
      { user_id: user.userId, phone_number: user.phoneNumber, direction: 'inbound', content: 'Hello there' },
    ]);
  });

  it('records a message from an unknown number with no user', async () => {
    const from = uniqueTestPhone();
    const message = inbound(from, 'who is this?');
    await recordInboundSms({ db: testDb.db, queues }, message);
    expect(await history(message.messageSid)).toEqual([
      { user_id: null, phone_number: from, direction: 'inbound', content: 'who is this?' },
    ]);
  });

  it('keeps emoji and a 1,600-character body intact', async () => {
    const from = uniqueTestPhone();
    const emoji = inbound(from, 'Thanks 🙏🏽 see you 👋 — café');
    const long = inbound(from, 'ab🙂'.repeat(400));
    await recordInboundSms({ db: testDb.db, queues }, emoji);
    await recordInboundSms({ db: testDb.db, queues }, long);
    expect((await history(emoji.messageSid))[0]?.content).toBe('Thanks 🙏🏽 see you 👋 — café');
    expect((await history(long.messageSid))[0]?.content).toBe('ab🙂'.repeat(400));
  });

  it('opts a number out on STOP and back in on START, the newest choice winning', async () => {
    const user = await createUser(testDb.db);
    const stop = inbound(user.phoneNumber, ' stop ');
    const start = inbound(user.phoneNumber, 'START');
    await recordInboundSms({ db: testDb.db, queues }, stop);
    expect(await optOut(user.phoneNumber)).toEqual({ opted_out: true, keyword: 'STOP', user_id: user.userId });

    await recordInboundSms({ db: testDb.db, queues }, start);
    expect(await optOut(user.phoneNumber)).toEqual({ opted_out: false, keyword: 'START', user_id: user.userId });

    // A replay of the older STOP (a retried job) does not undo the newer START.
    await recordInboundSms({ db: testDb.db, queues }, stop);
    expect(await optOut(user.phoneNumber)).toMatchObject({ opted_out: false, keyword: 'START' });
    expect(await history(stop.messageSid)).toHaveLength(1);
  });

  it('keeps a number opted out when an older START is replayed after its STOP', async () => {
    const user = await createUser(testDb.db);
    const start = inbound(user.phoneNumber, 'START');
    const stop = inbound(user.phoneNumber, 'STOP');
    await recordInboundSms({ db: testDb.db, queues }, start);
    await recordInboundSms({ db: testDb.db, queues }, stop);

    // The same START replayed later (a replayed signed request): the ingress stamps it anew.
    const replayed = { ...start, receivedAt: inbound(user.phoneNumber, 'START').receivedAt };
    expect(await recordInboundSms({ db: testDb.db, queues }, replayed)).toEqual({
      outcome: 'duplicate',
      intent: 'opt-in',
    });
    expect(await optOut(user.phoneNumber)).toMatchObject({ opted_out: true, keyword: 'STOP' });
    expect(await history(start.messageSid)).toHaveLength(1);
  });

  it('hands a 6-digit reply to verification once, after recording it without the code', async () => {
    const user = await createUser(testDb.db);
    const message = inbound(user.phoneNumber, '482913');
    await recordInboundSms({ db: testDb.db, queues }, message);
    await recordInboundSms({ db: testDb.db, queues }, message);

    const jobs = await queues.onboarding.getJobs(['waiting', 'delayed', 'prioritized']);
    const verify = jobs.filter((job) => job.name === 'verify-code' && job.data.messageSid === message.messageSid);
    expect(verify).toHaveLength(1);
    expect(verify[0]?.data).toEqual({ phoneNumber: user.phoneNumber, code: '482913', messageSid: message.messageSid });
    expect(await history(message.messageSid)).toEqual([
      { user_id: user.userId, phone_number: user.phoneNumber, direction: 'inbound', content: '******' },
    ]);
  });
});
