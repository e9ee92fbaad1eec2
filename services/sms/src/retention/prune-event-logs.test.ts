import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { startTestStack, type TestStack } from '@series-killer/sandbox/testing';
import type { Db } from '@series-killer/shared';
import { fakeSid, uniqueTestPhone } from '@series-killer/shared/testing';
import { sql } from 'kysely';
import { PRUNE_SCHEDULER_ID, pruneEventLogs, schedulePruning } from './prune-event-logs.ts';

const DAY = 24 * 60 * 60 * 1000;
const RETAIN = { retentionMs: 90 * DAY, orphanRetentionMs: 3 * DAY };
const daysAgo = (days: number) => new Date(Date.now() - days * DAY);

let stack: TestStack;
let db: Db;

beforeAll(async () => {
  stack = await startTestStack();
  db = stack.testDb.db;
});

afterAll(async () => {
  await stack.close();
});

async function statusEvent(ageDays: number, state: 'applied' | 'pending' | 'orphaned', status = 'sent') {
  const messageSid = fakeSid('SM');
  await db
    .insertInto('sms_status_events')
    .values({
      message_sid: messageSid,
      status,
      raw_payload: '{}',
      received_at: daysAgo(ageDays),
      applied_at: state === 'applied' ? daysAgo(ageDays) : null,
      orphaned_at: state === 'orphaned' ? daysAgo(ageDays) : null,
    })
    .execute();
  return messageSid;
}

async function call(transcript: 'assembled' | 'incomplete' | 'skipped', segmentAgeDays: number, skippedAgeDays = 0) {
  const callSid = fakeSid('CA');
  if (transcript === 'skipped') {
    await db
      .insertInto('skipped_calls')
      .values({ call_sid: callSid, reason: 'anonymous caller', created_at: daysAgo(skippedAgeDays) })
      .execute();
  } else {
    await db
      .insertInto('call_history')
      .values({
        call_sid: callSid,
        phone_number: uniqueTestPhone(),
        call_status: 'completed',
        transcript: transcript === 'assembled' ? 'Caller: hi' : null,
      })
      .execute();
    await db
      .insertInto('call_transcriptions')
      .values({ call_sid: callSid, assembled_at: transcript === 'assembled' ? daysAgo(segmentAgeDays) : null })
      .execute();
  }
  await db
    .insertInto('call_transcript_segments')
    .values(
      [1, 2].map((sequence) => ({
        call_sid: callSid,
        track: 'inbound_track',
        sequence,
        text: 'hi',
        created_at: daysAgo(segmentAgeDays),
      })),
    )
    .execute();
  return callSid;
}

const countOf = async (
  table: 'sms_status_events' | 'call_transcript_segments' | 'skipped_calls',
  column: string,
  value: string,
) => {
  const { rows } = await sql<{
    n: string;
  }>`select count(*) as n from ${sql.table(table)} where ${sql.ref(column)} = ${value}`.execute(db);
  return Number(rows[0]?.n);
};

describe('pruneEventLogs', () => {
  it('removes only what is older than its retention and no current status or transcript still needs', async () => {
    const oldApplied = await Promise.all([1, 2, 3, 4, 5].map(() => statusEvent(91, 'applied')));
    const oldPending = await statusEvent(91, 'pending');
    // Orphans (their send never appeared) have a retention of their own.
    const oldOrphaned = await statusEvent(4, 'orphaned');
    const recentOrphaned = await statusEvent(2, 'orphaned');
    const recentApplied = await statusEvent(89, 'applied');
    const oldAssembled = await call('assembled', 91);
    const oldIncomplete = await call('incomplete', 91);
    const recentAssembled = await call('assembled', 89);
    const oldSkipped = await call('skipped', 91, 91);
    const skippedWithRecentSegments = await call('skipped', 10, 91);
    const recentSkipped = await call('skipped', 1, 1);
    const userId = crypto.randomUUID();
    await db.insertInto('auth.users').values({ id: userId }).execute();
    await db
      .insertInto('onboarding_messages')
      .values({
        user_id: userId,
        phone_number: uniqueTestPhone(),
        message_type: 'welcome',
        message_sid: oldApplied[0],
        status: 'delivered',
        content: 'Welcome',
        delivered_at: daysAgo(91),
      })
      .execute();
    const messageStatus = () =>
      db.selectFrom('onboarding_messages').select(['status', 'delivered_at']).where('user_id', '=', userId).execute();
    const messageStatusBefore = await messageStatus();
    const statusesBefore = await db
      .selectFrom('call_history')
      .select(['call_sid', 'call_status', 'transcript'])
      .orderBy('call_sid')
      .execute();

    // Batches of two: five old applied events take three statements.
    const report = await pruneEventLogs(db, { ...RETAIN, batchSize: 2 });

    expect(report).toEqual({
      sms_status_events: 5,
      orphaned_status_events: 1,
      call_transcript_segments: 4,
      skipped_calls: 1,
    });
    for (const sid of [...oldApplied, oldOrphaned])
      expect(await countOf('sms_status_events', 'message_sid', sid)).toBe(0);
    for (const sid of [oldPending, recentOrphaned, recentApplied])
      expect(await countOf('sms_status_events', 'message_sid', sid)).toBe(1);
    for (const sid of [oldAssembled, oldSkipped])
      expect(await countOf('call_transcript_segments', 'call_sid', sid)).toBe(0);
    for (const sid of [oldIncomplete, recentAssembled, skippedWithRecentSegments, recentSkipped])
      expect(await countOf('call_transcript_segments', 'call_sid', sid)).toBe(2);
    expect(await countOf('skipped_calls', 'call_sid', oldSkipped)).toBe(0);
    for (const sid of [skippedWithRecentSegments, recentSkipped])
      expect(await countOf('skipped_calls', 'call_sid', sid)).toBe(1);
    expect(
      await db
        .selectFrom('call_history')
        .select(['call_sid', 'call_status', 'transcript'])
        .orderBy('call_sid')
        .execute(),
    ).toEqual(statusesBefore);
    expect(await messageStatus()).toEqual(messageStatusBefore);

    await expect(pruneEventLogs(db, RETAIN)).resolves.toEqual({
      sms_status_events: 0,
      orphaned_status_events: 0,
      call_transcript_segments: 0,
      skipped_calls: 0,
    });
  });

  it('leaves the rest for the next run after maxBatches', async () => {
    await Promise.all([1, 2, 3, 4, 5].map(() => statusEvent(200, 'applied', 'delivered')));

    const first = await pruneEventLogs(db, { ...RETAIN, batchSize: 2, maxBatches: 1 });
    const second = await pruneEventLogs(db, { ...RETAIN, batchSize: 2, maxBatches: 5 });

    expect([first.sms_status_events, second.sms_status_events]).toEqual([2, 3]);
  });
});

describe('schedulePruning', () => {
  it('keeps one hourly schedule however many replicas register it', async () => {
    await schedulePruning(stack.queues);
    await schedulePruning(stack.queues);

    const schedulers = await stack.queues['sms-status'].getJobSchedulers();
    expect(schedulers.map((s) => [s.key, s.name, s.every])).toEqual([
      [PRUNE_SCHEDULER_ID, 'prune-event-logs', 3_600_000],
    ]);
  });
});
