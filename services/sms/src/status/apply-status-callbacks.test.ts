import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { SmsStatus, SmsStatusCallback } from '@series-killer/shared';
import { createTestDatabase, fakeSid, type TestDatabase } from '@series-killer/shared/testing';
import { sql } from 'kysely';
import {
  createOnboardingMessage,
  createUser,
  readOnboardingMessage,
  readProfileStatus,
  recordAcceptedSend,
} from '../testing/sms-fixtures.ts';
import { applyStatusCallbacks, applyStatusCallbacksIsolating } from './apply-status-callbacks.ts';
import { appendStatusEvents } from './sms-status-events.repository.ts';

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
const READ: Callback = { status: 'read', errorCode: null };
const UNDELIVERED: Callback = { status: 'undelivered', errorCode: 30003 };
const PARTIALLY_DELIVERED: Callback = { status: 'partially_delivered', errorCode: 30006 };
const FAILED: Callback = { status: 'failed', errorCode: 30007 };

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

function callbackFor(messageSid: string, callback: Callback, second: number): SmsStatusCallback {
  return {
    messageSid,
    status: callback.status,
    errorCode: callback.errorCode,
    raw: {
      MessageSid: messageSid,
      MessageStatus: callback.status,
      ...(callback.errorCode ? { ErrorCode: String(callback.errorCode) } : {}),
    },
    receivedAt: new Date(Date.UTC(2025, 0, 1, 12, 0, second)).toISOString(),
  };
}

function recordSend(
  user: { userId: string; phoneNumber: string },
  onboardingMessageId: number | undefined,
  messageSid: string,
) {
  return recordAcceptedSend(testDb.db, user, messageSid, onboardingMessageId);
}

async function sentWelcome(messageType: 'welcome' | 'reminder' = 'welcome') {
  const user = await createUser(testDb.db, messageType === 'welcome' ? {} : { onboardingStatus: 'sms_sent' });
  const onboardingMessageId = await createOnboardingMessage(testDb.db, user, messageType);
  const messageSid = fakeSid('SM');
  await recordSend(user, onboardingMessageId, messageSid);
  return { ...user, onboardingMessageId, messageSid };
}

async function deliveryOf(messageSid: string) {
  return testDb.db
    .selectFrom('sms_deliveries')
    .select(['status', 'error_code', 'error_message', 'sent_at', 'delivered_at', 'failed_at', 'next_reconcile_at'])
    .where('message_sid', '=', messageSid)
    .executeTakeFirstOrThrow();
}

async function loggedEvents(messageSid: string) {
  return testDb.db
    .selectFrom('sms_status_events')
    .select(['status', 'error_code', 'applied_at', 'orphaned_at', 'user_id'])
    .where('message_sid', '=', messageSid)
    .orderBy('id')
    .execute();
}

/** Applies the callbacks as one batch, or one batch each. */
const DELIVERIES = {
  'in one batch': async (callbacks: SmsStatusCallback[]) => {
    await applyStatusCallbacks(testDb.db, callbacks);
  },
  'one batch each': async (callbacks: SmsStatusCallback[]) => {
    for (const callback of callbacks) await applyStatusCallbacks(testDb.db, [callback]);
  },
};

interface Expected {
  delivery: string;
  errorCode: number | null;
  message: 'delivered' | 'failed';
  errorMessage: string | null;
  profile: string;
}

const UNREACHABLE: Expected = {
  delivery: 'undelivered',
  errorCode: 30003,
  message: 'failed',
  errorMessage: '30003: unreachable destination handset',
  profile: 'failed',
};
const HANDED_OVER: Omit<Expected, 'delivery'> = {
  errorCode: null,
  message: 'delivered',
  errorMessage: null,
  profile: 'sms_sent',
};

const CASES: [Callback, Callback, Expected][] = [
  [SENT, DELIVERED, { ...HANDED_OVER, delivery: 'delivered' }],
  [DELIVERED, READ, { ...HANDED_OVER, delivery: 'read' }],
  [SENT, UNDELIVERED, UNREACHABLE],
  [
    SENT,
    PARTIALLY_DELIVERED,
    {
      ...UNREACHABLE,
      delivery: 'partially_delivered',
      errorCode: 30006,
      errorMessage: '30006: landline or unreachable carrier',
    },
  ],
  // An error is never erased by a later success, nor a success kept over a later error.
  [DELIVERED, UNDELIVERED, UNREACHABLE],
];

describe('applyStatusCallbacks', () => {
  it('records the send as accepted, the welcome sent and the profile sms_sent', async () => {
    const sent = await sentWelcome();
    expect(await deliveryOf(sent.messageSid)).toMatchObject({ status: 'accepted', error_code: null });
    const row = await readOnboardingMessage(testDb.db, sent.onboardingMessageId);
    expect(row).toMatchObject({ status: 'sent', message_sid: sent.messageSid });
    expect(row.sent_at).toBeInstanceOf(Date);
    expect(await readProfileStatus(testDb.db, sent.userId)).toBe('sms_sent');
  });

  for (const [how, apply] of Object.entries(DELIVERIES)) {
    for (const [a, b, expected] of CASES) {
      for (const order of orderingsOf(a, b)) {
        it(`ends ${expected.delivery} after ${order.map((c) => c.status).join(' → ')} ${how}`, async () => {
          const sent = await sentWelcome();
          await apply(order.map((callback, second) => callbackFor(sent.messageSid, callback, second)));

          const delivery = await deliveryOf(sent.messageSid);
          expect(delivery).toMatchObject({ status: expected.delivery, error_code: expected.errorCode });
          // A final status needs no check with Twilio.
          expect(delivery.next_reconcile_at).toBeNull();
          const row = await readOnboardingMessage(testDb.db, sent.onboardingMessageId);
          expect(row).toMatchObject({ status: expected.message, error_message: expected.errorMessage });
          const firstDelivered = order.findIndex((c) => c.status === 'delivered' || c.status === 'read');
          if (expected.message === 'delivered')
            expect(row.delivered_at).toEqual(new Date(Date.UTC(2025, 0, 1, 12, 0, firstDelivered)));
          expect(await readProfileStatus(testDb.db, sent.userId)).toBe(expected.profile);

          const events = await loggedEvents(sent.messageSid);
          expect(events.map((e) => `${e.status}:${e.error_code}`).sort()).toEqual(
            [a, b].map((c) => `${c.status}:${c.errorCode}`).sort(),
          );
          expect(events.every((e) => e.applied_at !== null && e.user_id === sent.userId)).toBe(true);
        });
      }
    }
  }

  it('keeps a reminder failure on the message without failing the profile', async () => {
    const sent = await sentWelcome('reminder');
    await applyStatusCallbacks(testDb.db, [callbackFor(sent.messageSid, FAILED, 0)]);
    expect(await readOnboardingMessage(testDb.db, sent.onboardingMessageId)).toMatchObject({
      status: 'failed',
      error_message: '30007: message filtered as spam by the carrier',
    });
    expect(await readProfileStatus(testDb.db, sent.userId)).toBe('sms_sent');
  });

  it('moves a send that is not an onboarding message too', async () => {
    const user = await createUser(testDb.db);
    const messageSid = fakeSid('SM');
    await recordSend(user, undefined, messageSid);
    await applyStatusCallbacks(testDb.db, [callbackFor(messageSid, SENT, 0), callbackFor(messageSid, DELIVERED, 1)]);
    expect(await deliveryOf(messageSid)).toMatchObject({
      status: 'delivered',
      sent_at: new Date(Date.UTC(2025, 0, 1, 12, 0, 0)),
      delivered_at: new Date(Date.UTC(2025, 0, 1, 12, 0, 1)),
    });
  });

  it('applies many messages in one batch, each on its own', async () => {
    const sends = await Promise.all([sentWelcome(), sentWelcome(), sentWelcome()]);
    const [first, second, third] = sends;
    if (!first || !second || !third) throw new Error('three sends expected');
    await applyStatusCallbacks(testDb.db, [
      callbackFor(third.messageSid, UNDELIVERED, 2),
      callbackFor(first.messageSid, DELIVERED, 1),
      callbackFor(second.messageSid, SENT, 0),
      callbackFor(first.messageSid, SENT, 0),
    ]);
    expect((await deliveryOf(first.messageSid)).status).toBe('delivered');
    expect((await deliveryOf(second.messageSid)).status).toBe('sent');
    expect((await deliveryOf(third.messageSid)).status).toBe('undelivered');
  });

  it('writes each event of a recorded send once, already applied: no second write to the log', async () => {
    const sends = await Promise.all([sentWelcome(), sentWelcome()]);
    const callbacks = sends.flatMap((send, i) => [
      callbackFor(send.messageSid, SENT, i),
      callbackFor(send.messageSid, DELIVERED, i + 1),
    ]);
    const written = await testDb.db.transaction().execute(async (trx) => {
      // This backend's counts of the log's row writes, which also hold its recent transactions not yet
      // reported: the difference across the call is the call's own.
      const counts = async () => {
        const { rows } = await sql<{ inserted: number; updated: number }>`
          select pg_stat_get_xact_tuples_inserted('public.sms_status_events'::regclass) as inserted,
            pg_stat_get_xact_tuples_updated('public.sms_status_events'::regclass) as updated
        `.execute(trx);
        return rows[0] ?? { inserted: Number.NaN, updated: Number.NaN };
      };
      const before = await counts();
      await appendStatusEvents(trx, callbacks, {});
      const after = await counts();
      return { inserted: after.inserted - before.inserted, updated: after.updated - before.updated };
    });
    expect(written).toEqual({ inserted: 4, updated: 0 });
    for (const send of sends) {
      expect((await deliveryOf(send.messageSid)).status).toBe('delivered');
      for (const event of await loggedEvents(send.messageSid)) expect(event.applied_at).toBeInstanceOf(Date);
    }
  });
});

describe('a callback before its send', () => {
  it('waits in Postgres when it shares a batch with recorded sends, and the send applies it', async () => {
    const known = await sentWelcome();
    const user = await createUser(testDb.db);
    const onboardingMessageId = await createOnboardingMessage(testDb.db, user, 'welcome');
    const early = fakeSid('SM');

    const result = await applyStatusCallbacks(testDb.db, [
      callbackFor(early, DELIVERED, 5),
      callbackFor(known.messageSid, DELIVERED, 5),
    ]);
    expect(result.waiting).toEqual([early]);
    expect((await deliveryOf(known.messageSid)).status).toBe('delivered');
    const [waiting] = await loggedEvents(early);
    expect(waiting).toMatchObject({ status: 'delivered', applied_at: null, user_id: null });
    expect(waiting?.orphaned_at).toBeInstanceOf(Date);

    await recordSend(user, onboardingMessageId, early);
    expect(await deliveryOf(early)).toMatchObject({ status: 'delivered' });
    const row = await readOnboardingMessage(testDb.db, onboardingMessageId);
    expect(row.status).toBe('delivered');
    expect(row.delivered_at).toEqual(new Date(Date.UTC(2025, 0, 1, 12, 0, 5)));
    const [applied] = await loggedEvents(early);
    expect(applied?.applied_at).toBeInstanceOf(Date);
    expect(applied?.user_id).toBe(user.userId);
  });

  it('combines with callbacks in later batches, before and after the send records it', async () => {
    const user = await createUser(testDb.db);
    const onboardingMessageId = await createOnboardingMessage(testDb.db, user, 'welcome');
    const early = fakeSid('SM');
    await applyStatusCallbacks(testDb.db, [callbackFor(early, SENT, 1)]);
    await applyStatusCallbacks(testDb.db, [callbackFor(early, UNDELIVERED, 3)]);
    await recordSend(user, onboardingMessageId, early);
    expect(await deliveryOf(early)).toMatchObject({
      status: 'undelivered',
      error_code: 30003,
      error_message: '30003: unreachable destination handset',
    });
    // A later batch with a stale `sent` and a duplicate changes nothing.
    await applyStatusCallbacks(testDb.db, [callbackFor(early, SENT, 4), callbackFor(early, UNDELIVERED, 3)]);
    expect((await deliveryOf(early)).status).toBe('undelivered');
    expect(await readOnboardingMessage(testDb.db, onboardingMessageId)).toMatchObject({ status: 'failed' });
    expect(await readProfileStatus(testDb.db, user.userId)).toBe('failed');
    expect(await loggedEvents(early)).toHaveLength(2);
  });
});

describe('a batch with a poisoned callback', () => {
  it('applies its neighbours and sets only the poisoned one apart', async () => {
    const [first, second] = await Promise.all([sentWelcome(), sentWelcome()]);
    if (!first || !second) throw new Error('two sends expected');
    // An error code beyond Postgres's integer: the schema lets it through, the database refuses it.
    const poisoned = callbackFor(fakeSid('SM'), { status: 'failed', errorCode: 99_999_999_999 }, 0);
    const result = await applyStatusCallbacksIsolating(testDb.db, [
      callbackFor(first.messageSid, DELIVERED, 1),
      poisoned,
      callbackFor(second.messageSid, DELIVERED, 1),
    ]);
    expect(result.failed.map((f) => f.callback)).toEqual([poisoned]);
    expect((await deliveryOf(first.messageSid)).status).toBe('delivered');
    expect((await deliveryOf(second.messageSid)).status).toBe('delivered');
    expect(result.transitions).toHaveLength(2);
  });
});
