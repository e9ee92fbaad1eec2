import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { SmsStatusCallback } from '@series-killer/shared';
import { createTestDatabase, fakeSid, type TestDatabase } from '@series-killer/shared/testing';
import { createUser, recordAcceptedSend } from '../testing/sms-fixtures.ts';
import { applyStatusCallbacks, applyStatusCallbacksIsolating } from './apply-status-callbacks.ts';
import { createStatusBatches, type StatusAppliers } from './status-batches.ts';

let testDb: TestDatabase;

beforeAll(async () => {
  testDb = await createTestDatabase();
});

afterAll(async () => {
  await testDb.drop();
});

function delivered(messageSid: string, errorCode: number | null = null): SmsStatusCallback {
  return {
    messageSid,
    status: errorCode === null ? 'delivered' : 'failed',
    errorCode,
    raw: { MessageSid: messageSid, MessageStatus: 'delivered' },
    receivedAt: new Date().toISOString(),
  };
}

/** A recorded send's SID. */
async function recordedSid(): Promise<string> {
  const user = await createUser(testDb.db);
  const messageSid = fakeSid('SM');
  await recordAcceptedSend(testDb.db, user, messageSid);
  return messageSid;
}

async function statusOf(messageSid: string) {
  const row = await testDb.db
    .selectFrom('sms_deliveries')
    .select(['status'])
    .where('message_sid', '=', messageSid)
    .executeTakeFirstOrThrow();
  return row.status;
}

/** The real appliers on the test database, recording the size of each transaction and how many ran at once. */
function recordingAppliers() {
  const transactions: { kind: 'together' | 'isolating'; callbacks: number }[] = [];
  let running = 0;
  let mostAtOnce = 0;
  const track = async <T>(kind: 'together' | 'isolating', callbacks: readonly unknown[], run: () => Promise<T>) => {
    transactions.push({ kind, callbacks: callbacks.length });
    running += 1;
    mostAtOnce = Math.max(mostAtOnce, running);
    try {
      return await run();
    } finally {
      running -= 1;
    }
  };
  const appliers: StatusAppliers = {
    applyTogether: (callbacks) => track('together', callbacks, () => applyStatusCallbacks(testDb.db, callbacks)),
    applyIsolating: (callbacks) =>
      track('isolating', callbacks, () => applyStatusCallbacksIsolating(testDb.db, callbacks)),
  };
  return { appliers, transactions, mostAtOnce: () => mostAtOnce };
}

describe('status batches', () => {
  it('applies a job that comes alone at once, in a transaction of its own', async () => {
    const { appliers, transactions } = recordingAppliers();
    const batches = createStatusBatches(appliers);
    const sid = await recordedSid();
    const share = await batches.apply([delivered(sid)]);
    expect(share).toEqual({ failed: [], waiting: 0, batch: 1 });
    expect(transactions).toEqual([{ kind: 'isolating', callbacks: 1 }]);
    expect(await statusOf(sid)).toBe('delivered');
  });

  it('shares one transaction among the jobs started in the same turn', async () => {
    const { appliers, transactions } = recordingAppliers();
    const batches = createStatusBatches(appliers);
    const sids = await Promise.all(Array.from({ length: 12 }, () => recordedSid()));
    // Twelve jobs of one callback each, started in one turn as a busy worker starts them.
    const shares = await Promise.all(sids.map((sid) => batches.apply([delivered(sid)])));
    expect(transactions).toEqual([{ kind: 'together', callbacks: 12 }]);
    expect(shares.map((share) => share.batch)).toEqual(sids.map(() => 12));
    for (const sid of sids) expect(await statusOf(sid)).toBe('delivered');
  });

  it('gathers the jobs that come while transactions run into the next one, never more at once than allowed', async () => {
    const { appliers, transactions, mostAtOnce } = recordingAppliers();
    const batches = createStatusBatches(appliers, { maxInFlight: 2 });
    const sids = await Promise.all(Array.from({ length: 12 }, () => recordedSid()));
    const nextTurn = () => new Promise((resolve) => setImmediate(resolve));
    const first = batches.apply([delivered(sids[0] ?? '')]);
    await nextTurn();
    const second = batches.apply([delivered(sids[1] ?? '')]);
    await nextTurn();
    // Both transactions are running: these ten wait for one of them, then go together.
    const rest = sids.slice(2).map((sid) => batches.apply([delivered(sid)]));
    await Promise.all([first, second, ...rest]);

    expect(transactions.map((t) => t.callbacks)).toEqual([1, 1, 10]);
    expect(mostAtOnce()).toBe(2);
    for (const sid of sids) expect(await statusOf(sid)).toBe('delivered');
  });

  it('never puts more callbacks in a transaction than its cap, nor splits a job', async () => {
    const { appliers, transactions } = recordingAppliers();
    const batches = createStatusBatches(appliers, { maxCallbacks: 5, maxInFlight: 1 });
    const sids = await Promise.all(Array.from({ length: 12 }, () => recordedSid()));
    const jobs = [sids.slice(0, 3), sids.slice(3, 6), sids.slice(6, 9), sids.slice(9, 12)];
    await Promise.all(jobs.map((job) => batches.apply(job.map((sid) => delivered(sid)))));
    expect(transactions.map((t) => t.callbacks)).toEqual([3, 3, 3, 3]);
  });

  it('applies each job of a failed shared transaction on its own: only the poisoned callback fails', async () => {
    const { appliers, transactions } = recordingAppliers();
    const batches = createStatusBatches(appliers);
    const [first, second, third] = await Promise.all([recordedSid(), recordedSid(), recordedSid()]);
    // An error code beyond Postgres's integer: the schema lets it through, the database refuses it.
    const poisoned = delivered(fakeSid('SM'), 99_999_999_999);
    const [clean, mixed] = await Promise.all([
      batches.apply([delivered(first ?? ''), delivered(second ?? '')]),
      batches.apply([poisoned, delivered(third ?? '')]),
    ]);

    expect(transactions).toEqual([
      { kind: 'together', callbacks: 4 },
      { kind: 'isolating', callbacks: 2 },
      { kind: 'isolating', callbacks: 2 },
    ]);
    expect(clean.failed).toEqual([]);
    expect(mixed.failed.map((f) => f.callback)).toEqual([poisoned]);
    for (const sid of [first, second, third]) expect(await statusOf(sid ?? '')).toBe('delivered');
  });

  it('fails every job whose callbacks all fail, so each retries', async () => {
    const away = await createTestDatabase();
    await away.drop();
    const batches = createStatusBatches({
      applyTogether: (callbacks) => applyStatusCallbacks(away.db, callbacks),
      applyIsolating: (callbacks) => applyStatusCallbacksIsolating(away.db, callbacks),
    });
    const results = await Promise.allSettled([
      batches.apply([delivered(fakeSid('SM'))]),
      batches.apply([delivered(fakeSid('SM')), delivered(fakeSid('SM'))]),
    ]);
    expect(results.map((r) => r.status)).toEqual(['rejected', 'rejected']);
  });
});
