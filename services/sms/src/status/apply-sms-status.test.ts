import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { SmsStatus } from '@series-killer/shared';
import { createTestDatabase, fakeSid, type TestDatabase } from '@series-killer/shared/testing';
import { recordSentMessage } from '../outbound/outbound-messages.repository.ts';
import {
  createOnboardingMessage,
  createUser,
  readOnboardingMessage,
  readProfileStatus,
} from '../testing/sms-fixtures.ts';
import { applySmsStatus, MessageNotRecordedError } from './apply-sms-status.ts';

let testDb: TestDatabase;

beforeAll(async () => {
  testDb = await createTestDatabase();
});

afterAll(async () => {
  await testDb.drop();
});

type Callback = { status: SmsStatus; errorCode: number | null };
const SENT: Callback = { status: 'sent', errorCode: null };
const DELIVERED: Callback = { status: 'delivered', errorCode: null };
const UNDELIVERED: Callback = { status: 'undelivered', errorCode: 30003 };

/** Every distinct ordering of the given callbacks. */
function permutations(items: Callback[]): Callback[][] {
  if (items.length <= 1) return [items];
  const seen = new Set<string>();
  const result: Callback[][] = [];
  items.forEach((item, index) => {
    const rest = [...items.slice(0, index), ...items.slice(index + 1)];
    for (const tail of permutations(rest)) {
      const order = [item, ...tail];
      const key = order.map((c) => c.status).join(',');
      if (seen.has(key)) continue;
      seen.add(key);
      result.push(order);
    }
  });
  return result;
}

/** Both callbacks, and each one duplicated, in every order. */
function orderingsOf(a: Callback, b: Callback): Callback[][] {
  return [...permutations([a, b]), ...permutations([a, b, a]), ...permutations([a, b, b])];
}

function callbackFor(messageSid: string, callback: Callback, second: number) {
  return {
    messageSid,
    status: callback.status,
    errorCode: callback.errorCode,
    raw: {
      MessageSid: messageSid,
      MessageStatus: callback.status,
      ...(callback.errorCode ? { ErrorCode: String(callback.errorCode) } : {}),
    },
    receivedAt: new Date(Date.UTC(2025, 0, 1, 12, 0, second)),
  };
}

async function sentWelcome() {
  const user = await createUser(testDb.db);
  const onboardingMessageId = await createOnboardingMessage(testDb.db, user, 'welcome');
  const messageSid = fakeSid('SM');
  await recordSentMessage(testDb.db, {
    messageSid,
    to: user.phoneNumber,
    userId: user.userId,
    content: 'Hi Ada',
    onboardingMessageId,
  });
  return { ...user, onboardingMessageId, messageSid };
}

async function loggedEvents(messageSid: string) {
  return testDb.db
    .selectFrom('sms_status_events')
    .select(['status', 'error_code', 'applied_at', 'orphaned_at', 'user_id'])
    .where('message_sid', '=', messageSid)
    .orderBy('id')
    .execute();
}

describe('applySmsStatus', () => {
  it('marks the welcome sent and the profile sms_sent when the send is recorded', async () => {
    const sent = await sentWelcome();
    const row = await readOnboardingMessage(testDb.db, sent.onboardingMessageId);
    expect(row).toMatchObject({ status: 'sent', message_sid: sent.messageSid });
    expect(row.sent_at).toBeInstanceOf(Date);
    expect(await readProfileStatus(testDb.db, sent.userId)).toBe('sms_sent');
  });

  for (const order of orderingsOf(SENT, DELIVERED)) {
    it(`ends delivered after ${order.map((c) => c.status).join(' → ')}`, async () => {
      const sent = await sentWelcome();
      for (const [second, callback] of order.entries()) {
        await applySmsStatus(testDb.db, callbackFor(sent.messageSid, callback, second), { lastAttempt: false });
      }
      const row = await readOnboardingMessage(testDb.db, sent.onboardingMessageId);
      expect(row.status).toBe('delivered');
      expect(row.error_message).toBeNull();
      const firstDelivered = order.findIndex((c) => c.status === 'delivered');
      expect(row.delivered_at).toEqual(new Date(Date.UTC(2025, 0, 1, 12, 0, firstDelivered)));
      expect(await readProfileStatus(testDb.db, sent.userId)).toBe('sms_sent');

      const events = await loggedEvents(sent.messageSid);
      expect(events.map((e) => e.status).sort()).toEqual(['delivered', 'sent']);
      expect(events.every((e) => e.applied_at !== null && e.orphaned_at === null && e.user_id === sent.userId)).toBe(
        true,
      );
    });
  }

  for (const order of orderingsOf(SENT, UNDELIVERED)) {
    it(`ends failed after ${order.map((c) => c.status).join(' → ')}`, async () => {
      const sent = await sentWelcome();
      for (const [second, callback] of order.entries()) {
        await applySmsStatus(testDb.db, callbackFor(sent.messageSid, callback, second), { lastAttempt: false });
      }
      const row = await readOnboardingMessage(testDb.db, sent.onboardingMessageId);
      expect(row.status).toBe('failed');
      expect(row.error_message).toBe('30003: unreachable destination handset');
      expect(row.delivered_at).toBeNull();
      expect(await readProfileStatus(testDb.db, sent.userId)).toBe('failed');

      const events = await loggedEvents(sent.messageSid);
      expect(events.map((e) => `${e.status}:${e.error_code}`).sort()).toEqual(['sent:null', 'undelivered:30003']);
    });
  }

  it('never erases an error with a later success', async () => {
    const sent = await sentWelcome();
    await applySmsStatus(testDb.db, callbackFor(sent.messageSid, UNDELIVERED, 0), { lastAttempt: false });
    await applySmsStatus(testDb.db, callbackFor(sent.messageSid, DELIVERED, 1), { lastAttempt: false });
    const row = await readOnboardingMessage(testDb.db, sent.onboardingMessageId);
    expect(row).toMatchObject({ status: 'failed', error_message: '30003: unreachable destination handset' });
    expect(await loggedEvents(sent.messageSid)).toHaveLength(2);
  });

  it('keeps a reminder failure on the message without failing the profile', async () => {
    const user = await createUser(testDb.db, { onboardingStatus: 'sms_sent' });
    const onboardingMessageId = await createOnboardingMessage(testDb.db, user, 'reminder');
    const messageSid = fakeSid('SM');
    await recordSentMessage(testDb.db, {
      messageSid,
      to: user.phoneNumber,
      userId: user.userId,
      content: 'Reminder',
      onboardingMessageId,
    });
    await applySmsStatus(testDb.db, callbackFor(messageSid, { status: 'failed', errorCode: 30007 }, 0), {
      lastAttempt: false,
    });
    expect(await readOnboardingMessage(testDb.db, onboardingMessageId)).toMatchObject({
      status: 'failed',
      error_message: '30007: message filtered as spam by the carrier',
    });
    expect(await readProfileStatus(testDb.db, user.userId)).toBe('sms_sent');
  });

  it('retries a callback whose message is not recorded yet, keeps it as an orphan on the last attempt, and applies it when the send records the message', async () => {
    const user = await createUser(testDb.db);
    const onboardingMessageId = await createOnboardingMessage(testDb.db, user, 'welcome');
    const messageSid = fakeSid('SM');

    await expect(
      applySmsStatus(testDb.db, callbackFor(messageSid, DELIVERED, 5), { lastAttempt: false }),
    ).rejects.toBeInstanceOf(MessageNotRecordedError);
    expect(await loggedEvents(messageSid)).toHaveLength(0);

    expect(await applySmsStatus(testDb.db, callbackFor(messageSid, DELIVERED, 5), { lastAttempt: true })).toEqual({
      outcome: 'orphaned',
      newlyOrphaned: true,
    });
    const [orphan] = await loggedEvents(messageSid);
    expect(orphan).toMatchObject({ status: 'delivered', applied_at: null, user_id: null });
    expect(orphan?.orphaned_at).toBeInstanceOf(Date);

    await recordSentMessage(testDb.db, {
      messageSid,
      to: user.phoneNumber,
      userId: user.userId,
      content: 'Hi',
      onboardingMessageId,
    });
    const row = await readOnboardingMessage(testDb.db, onboardingMessageId);
    expect(row.status).toBe('delivered');
    expect(row.delivered_at).toEqual(new Date(Date.UTC(2025, 0, 1, 12, 0, 5)));
    const [applied] = await loggedEvents(messageSid);
    expect(applied?.applied_at).toBeInstanceOf(Date);
    expect(applied?.user_id).toBe(user.userId);
  });
});
