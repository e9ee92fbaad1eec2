import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { addJob } from '@series-killer/shared';
import { fakeSid, uniqueTestPhone, waitFor } from '@series-killer/shared/testing';
import { createTwilioClient } from '@series-killer/shared/twilio';
import { sql } from 'kysely';
import {
  createOnboardingMessage,
  createUser,
  readOnboardingMessage,
  recordAcceptedSend,
} from '../testing/sms-fixtures.ts';
import { type SmsHarness, startSmsHarness } from '../testing/sms-harness.ts';
import { RECONCILE_SCHEDULER_ID, reconcileDeliveries } from './reconcile-deliveries.ts';
import { createTwilioMessageStatusSource } from './twilio-message-status.ts';

let h: SmsHarness;

beforeAll(async () => {
  h = await startSmsHarness({ env: { SMS_RECONCILE_AFTER: '1s', SMS_RECONCILE_INTERVAL: '1s' } });
});

afterAll(async () => {
  await h.close();
});

async function deliveryOf(messageSid: string) {
  return h.testDb.db
    .selectFrom('sms_deliveries')
    .select(['status', 'error_code', 'reconcile_checks', 'next_reconcile_at'])
    .where('message_sid', '=', messageSid)
    .executeTakeFirstOrThrow();
}

function fetchesOf(messageSid: string): number {
  return h.sandbox
    .twilioRequests()
    .filter((request) => request.method === 'GET' && request.path.endsWith(`/Messages/${messageSid}.json`)).length;
}

describe('the reconciler', () => {
  it('runs from one job scheduler for every replica', async () => {
    const schedulers = await h.queues['sms-status'].getJobSchedulers();
    const reconcilers = schedulers.filter((s) => s.key === RECONCILE_SCHEDULER_ID);
    expect(reconcilers).toHaveLength(1);
    expect(reconcilers[0]?.every).toBe(1_000);
  });

  it('learns from Twilio what became of a message whose callbacks were dropped', async () => {
    for (const [outcome, expected] of [
      ['delivered', { message: 'delivered', delivery: 'delivered', errorCode: null }],
      ['undelivered', { message: 'failed', delivery: 'undelivered', errorCode: 30003 }],
    ] as const) {
      const user = await createUser(h.testDb.db);
      const onboardingMessageId = await createOnboardingMessage(h.testDb.db, user, 'welcome');
      h.sandbox.setCallbackModeFor(user.phoneNumber, { enabled: false, outcome });
      const jobId = await addJob(h.queues, 'send-sms', {
        sendKey: `onboarding-message.${onboardingMessageId}`,
        to: user.phoneNumber,
        body: `Welcome, Ada (${outcome})`,
        userId: user.userId,
        onboardingMessageId,
      });

      const row = await waitFor(
        `the ${outcome} message to be reconciled`,
        async () => {
          const current = await readOnboardingMessage(h.testDb.db, onboardingMessageId);
          return current.status === expected.message ? current : undefined;
        },
        { timeoutMs: 20_000 },
      );
      const messageSid = row.message_sid ?? '';
      expect((await h.queues['sms-outbound'].getJob(jobId ?? ''))?.returnvalue).toMatchObject({ messageSid });
      expect(await deliveryOf(messageSid)).toMatchObject({
        status: expected.delivery,
        error_code: expected.errorCode,
        next_reconcile_at: null,
      });
      expect(fetchesOf(messageSid)).toBeGreaterThanOrEqual(1);
      const events = await h.testDb.db
        .selectFrom('sms_status_events')
        .select(['status', 'raw_payload'])
        .where('message_sid', '=', messageSid)
        .execute();
      expect(events).toEqual([
        { status: expected.delivery, raw_payload: expect.objectContaining({ Source: 'reconciler' }) },
      ]);
    }
  });
});

describe('reconcileDeliveries', () => {
  const source = () => createTwilioMessageStatusSource(createTwilioClient(h.config.twilio));

  it('asks again later, less often each time, and gives up after the horizon', async () => {
    const user = await createUser(h.testDb.db, { phoneNumber: uniqueTestPhone() });
    const stale = fakeSid('SM');
    const unknown = fakeSid('SM');
    await recordAcceptedSend(h.testDb.db, user, stale);
    await recordAcceptedSend(h.testDb.db, user, unknown);
    // One accepted two days ago, one a minute ago; neither known to Twilio (the sandbox answers 404).
    await sql`update sms_deliveries set accepted_at = now() - interval '2 days', next_reconcile_at = now()
      where message_sid = ${stale}`.execute(h.testDb.db);
    await sql`update sms_deliveries set accepted_at = now() - interval '1 minute', next_reconcile_at = now()
      where message_sid = ${unknown}`.execute(h.testDb.db);

    // The scheduled reconciler may get there first; either way each is asked about once.
    await reconcileDeliveries({ db: h.testDb.db, source: source() }, { afterMs: 60_000 });
    expect(fetchesOf(stale)).toBe(0);
    expect(fetchesOf(unknown)).toBe(1);
    const checked = await deliveryOf(unknown);
    expect(checked.reconcile_checks).toBe(1);
    // Next check after 2 × SMS_RECONCILE_AFTER.
    expect(checked.next_reconcile_at?.getTime()).toBeGreaterThan(Date.now() + 110_000);

    await reconcileDeliveries({ db: h.testDb.db, source: source() }, { afterMs: 60_000 });
    expect(fetchesOf(unknown)).toBe(1);
  });

  it('unbooks every delivery past the horizon once, so later runs no longer scan them', async () => {
    const dead = 2_000;
    await sql`
      insert into sms_deliveries (send_key, message_sid, to_number, sender, body_sha256, status, accepted_at,
        next_reconcile_at)
      select 'dead.' || i, 'SMdead' || lpad(i::text, 26, '0'), '+14155550100', '+15005550006', 'x', 'sent',
        now() - interval '25 hours', now() - interval '1 hour'
      from generate_series(1, ${dead}) as i
    `.execute(h.testDb.db);
    const booked = async () => {
      const { rows } = await sql<{ count: string }>`
        select count(*) from sms_deliveries where send_key like 'dead.%' and next_reconcile_at is not null
      `.execute(h.testDb.db);
      return Number(rows[0]?.count);
    };
    expect(await booked()).toBe(dead);

    // The scheduled reconciler may get there first; either way none of them is asked about.
    await reconcileDeliveries({ db: h.testDb.db, source: source() }, { afterMs: 60_000 });
    expect(await booked()).toBe(0);
    const fetched = h.sandbox.twilioRequests().filter((request) => request.path.includes('/Messages/SMdead'));
    expect(fetched).toHaveLength(0);
  });

  it('stays within its request budget per run', async () => {
    const user = await createUser(h.testDb.db);
    const sids = Array.from({ length: 5 }, () => fakeSid('SM'));
    for (const sid of sids) await recordAcceptedSend(h.testDb.db, user, sid);
    await sql`update sms_deliveries set next_reconcile_at = now() where message_sid = any(${sids}::text[])`.execute(
      h.testDb.db,
    );
    const result = await reconcileDeliveries({ db: h.testDb.db, source: source() }, { afterMs: 60_000, limit: 2 });
    expect(result.checked).toBeLessThanOrEqual(2);
  });
});
