import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { authUsersFor, eraseUser } from '@series-killer/ingress/erasure';
import { startTestStack, type TestStack } from '@series-killer/sandbox/testing';
import { createLogger, type Db, lockMessageSids, type SmsStatusCallback } from '@series-killer/shared';
import { fakeSid, waitFor } from '@series-killer/shared/testing';
import { sql } from 'kysely';
import { createOnboardingMessage, createUser, recordAcceptedSend } from '../testing/sms-fixtures.ts';
import { applyStatusCallbacks } from './apply-status-callbacks.ts';
import { appendStatusEvents } from './sms-status-events.repository.ts';

let stack: TestStack;
let db: Db;

beforeAll(async () => {
  stack = await startTestStack();
  db = stack.testDb.db;
});

afterAll(async () => {
  await stack.close();
});

function delivered(messageSid: string, to: string): SmsStatusCallback {
  return {
    messageSid,
    status: 'delivered',
    errorCode: null,
    raw: { MessageSid: messageSid, MessageStatus: 'delivered', To: to },
    receivedAt: new Date().toISOString(),
  };
}

/** Status events whose raw payload holds the number. */
async function eventsNaming(phoneNumber: string): Promise<number> {
  const { rows } = await sql<{ n: number }>`select count(*)::int as n from public.sms_status_events
    where raw_payload::text like ${`%${phoneNumber}%`}`.execute(db);
  return rows[0]?.n ?? 0;
}

/** A user with a welcome Twilio accepted, and how to erase them. */
async function userWithMessage() {
  const user = await createUser(db);
  const messageSid = fakeSid('SM');
  await recordAcceptedSend(db, user, messageSid, await createOnboardingMessage(db, user, 'welcome'));
  const deps = { db, queues: stack.queues, logger: createLogger('erasure-test', 'silent') };
  const erase = async () =>
    eraseUser({ ...deps, authUsers: await authUsersFor(stack.config, db) }, { userId: user.userId });
  return { ...user, messageSid, erase };
}

describe('a status callback of an erased user’s message', () => {
  it('is dropped when it arrives after the erasure, so no event keeps their number', async () => {
    const user = await userWithMessage();
    const { messageSid } = user;
    await user.erase();

    await expect(applyStatusCallbacks(db, [delivered(messageSid, user.phoneNumber)])).resolves.toEqual({
      transitions: [],
      waiting: [],
    });

    expect(await eventsNaming(user.phoneNumber)).toBe(0);
    // Another sender's callback in the same batch is stored as ever.
    const other = fakeSid('SM');
    await applyStatusCallbacks(db, [delivered(messageSid, user.phoneNumber), delivered(other, '+15005550777')]);
    expect(await eventsNaming(user.phoneNumber)).toBe(0);
    expect(await eventsNaming('+15005550777')).toBe(1);
  });

  it('applied while the erasure runs, is erased with the rest: the erasure waits for its transaction', async () => {
    const user = await userWithMessage();
    let release = () => {};
    const released = new Promise<void>((resolve) => {
      release = resolve;
    });
    let written = () => {};
    const wrote = new Promise<void>((resolve) => {
      written = resolve;
    });
    // A status transaction as applyStatusCallbacks runs it, held open after its event is written.
    const applying = db.transaction().execute(async (trx) => {
      await lockMessageSids(trx, [user.messageSid]);
      await appendStatusEvents(trx, [delivered(user.messageSid, user.phoneNumber)], {});
      written();
      await released;
    });
    await wrote;

    const erasure = user.erase();
    await waitFor('the erasure to wait on the status transaction', async () => {
      const { rows } = await sql<{ n: number }>`select count(*)::int as n from pg_stat_activity
        where datname = current_database() and wait_event_type = 'Lock'`.execute(db);
      return rows[0]?.n === 1;
    });
    release();
    await applying;

    await expect(erasure).resolves.toMatchObject({ authUser: 'deleted' });
    expect(await eventsNaming(user.phoneNumber)).toBe(0);
  });
});
