import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { addJob, type JobData, WITHHELD_CALLER_IDS } from '@series-killer/shared';
import { fakeSid, waitFor } from '@series-killer/shared/testing';
import {
  createLinkedUser,
  type SummarizerTestEnv,
  shuffled,
  startSummarizerTestEnv,
} from '../testing/summarizer-test-env.ts';
import { applyCallStatus } from './apply-call-status.ts';

const CALLER = '+14155550123';
const SERVICE_NUMBER = '+15005550006';

/** The callbacks of an answered inbound call, as Twilio sends them. */
function answeredCallCallbacks(callSid: string, from = CALLER, to = SERVICE_NUMBER): JobData<'call-status'>[] {
  const at = new Date().toISOString();
  const base = { callSid, from, to, direction: 'inbound', receivedAt: at };
  return [
    { ...base, callStatus: 'initiated', callDuration: null, sequenceNumber: 0 },
    { ...base, callStatus: 'ringing', callDuration: null, sequenceNumber: 1 },
    { ...base, callStatus: 'in-progress', callDuration: null, sequenceNumber: 2 },
    { ...base, callStatus: 'completed', callDuration: 42, sequenceNumber: 3 },
  ];
}

/**
 * Callbacks with two statuses in the first rank and two in the last, where only the sequence
 * number says which is later.
 */
function sequencedCallbacks(callSid: string): JobData<'call-status'>[] {
  const at = new Date().toISOString();
  const base = { callSid, from: CALLER, to: SERVICE_NUMBER, direction: 'inbound', receivedAt: at, callDuration: null };
  return [
    { ...base, callStatus: 'queued', sequenceNumber: 0 },
    { ...base, callStatus: 'initiated', sequenceNumber: 1 },
    { ...base, callStatus: 'ringing', sequenceNumber: 2 },
    { ...base, callStatus: 'in-progress', sequenceNumber: 3 },
    { ...base, callStatus: 'no-answer', sequenceNumber: 4 },
    { ...base, callStatus: 'completed', callDuration: 42, sequenceNumber: 5 },
  ];
}

describe('call status callbacks', () => {
  let env: SummarizerTestEnv;
  let userId: string;

  beforeAll(async () => {
    env = await startSummarizerTestEnv();
    userId = await createLinkedUser(env.db, CALLER);
  });
  afterAll(async () => {
    await env.close();
  });

  const callRow = (callSid: string) =>
    env.db
      .selectFrom('call_history')
      .select(['call_sid', 'phone_number', 'user_id', 'call_status', 'duration'])
      .where('call_sid', '=', callSid)
      .executeTakeFirst();

  async function deliver(callbacks: JobData<'call-status'>[]): Promise<void> {
    for (const callback of callbacks) await addJob(env.queues, 'call-status', callback);
  }

  /** Waits until each job has completed, so the row holds every callback. */
  async function settled(jobIds: (string | undefined)[]): Promise<void> {
    await waitFor('calls jobs completed', async () => {
      const states = await Promise.all(jobIds.map((id) => env.queues.calls.getJobState(id as string)));
      return states.every((state) => state === 'completed');
    });
  }

  it('ends in the same row whether callbacks come in order, shuffled or duplicated', async () => {
    const inOrder = fakeSid('CA');
    const mixed = fakeSid('CA');
    const doubled = fakeSid('CA');
    await deliver(answeredCallCallbacks(inOrder));
    await deliver(shuffled(answeredCallCallbacks(mixed), 3).reverse());
    const twice = answeredCallCallbacks(doubled);
    await deliver(shuffled([...twice, ...twice], 11));
    // Duplicates that slip past the job ids (a replay after the job was removed) change nothing either.
    await Promise.all(twice.map((callback) => applyCallStatus(env.db, callback)));

    for (const callSid of [inOrder, mixed, doubled]) {
      const row = await waitFor(`call ${callSid} completed`, async () => {
        const r = await callRow(callSid);
        return r?.call_status === 'completed' && r;
      });
      expect(row).toEqual({
        call_sid: callSid,
        phone_number: CALLER,
        user_id: userId,
        call_status: 'completed',
        duration: 42,
      });
    }
  });

  it('orders statuses of the same rank by sequence number, in any delivery order', async () => {
    const orders = [(c: JobData<'call-status'>[]) => c, (c: JobData<'call-status'>[]) => [...c].reverse()];
    for (const seed of [3, 5, 11, 17]) orders.push((c) => shuffled([...c, ...c], seed));

    const calls = orders.map((order) => ({ callSid: fakeSid('CA'), order }));
    const jobIds: (string | undefined)[] = [];
    for (const { callSid, order } of calls)
      for (const callback of order(sequencedCallbacks(callSid)))
        jobIds.push(await addJob(env.queues, 'call-status', callback));
    await settled(jobIds);
    // A replay of every callback, past the job ids, changes nothing either.
    for (const { callSid } of calls)
      for (const callback of shuffled(sequencedCallbacks(callSid)))
        expect(await applyCallStatus(env.db, callback)).toMatchObject({ outcome: 'stale' });

    for (const { callSid } of calls)
      expect(await callRow(callSid)).toEqual({
        call_sid: callSid,
        phone_number: CALLER,
        user_id: userId,
        call_status: 'completed',
        duration: 42,
      });
  });

  it('moves on within the first rank only to a later callback', async () => {
    const callSid = fakeSid('CA');
    const [initiated] = answeredCallCallbacks(callSid) as [JobData<'call-status'>];
    const queued: JobData<'call-status'> = { ...initiated, callStatus: 'queued', sequenceNumber: 0 };

    expect(await applyCallStatus(env.db, queued)).toEqual({ outcome: 'applied', status: 'queued' });
    expect(await applyCallStatus(env.db, { ...initiated, sequenceNumber: 1 })).toMatchObject({ outcome: 'applied' });
    expect(await applyCallStatus(env.db, queued)).toMatchObject({ outcome: 'stale' });
    // Without a sequence number only the rank counts, and an equal rank is no step forward.
    expect(await applyCallStatus(env.db, { ...queued, sequenceNumber: null })).toMatchObject({ outcome: 'stale' });
    expect(await callRow(callSid)).toMatchObject({ call_status: 'initiated' });
  });

  it('never moves a status backwards, nor replaces a terminal status without a later callback', async () => {
    const callSid = fakeSid('CA');
    const [initiated, ringing, inProgress, completed] = answeredCallCallbacks(callSid) as [
      JobData<'call-status'>,
      JobData<'call-status'>,
      JobData<'call-status'>,
      JobData<'call-status'>,
    ];
    await applyCallStatus(env.db, completed);
    expect(await applyCallStatus(env.db, ringing)).toEqual({ outcome: 'stale', status: 'ringing' });
    await applyCallStatus(env.db, inProgress);
    await applyCallStatus(env.db, initiated);
    expect(await applyCallStatus(env.db, { ...completed, callStatus: 'busy', callDuration: 0 })).toMatchObject({
      outcome: 'stale',
    });
    expect(await callRow(callSid)).toMatchObject({ call_status: 'completed', duration: 42 });
  });

  it("records the callee's number for an outbound call, and the call-started event", async () => {
    const callSid = fakeSid('CA');
    await addJob(env.queues, 'call-started', {
      callSid,
      from: SERVICE_NUMBER,
      to: '(415) 555-0199',
      direction: 'outbound-api',
      callStatus: 'ringing',
      receivedAt: new Date().toISOString(),
    });
    const row = await waitFor('outbound call row', () => callRow(callSid));
    expect(row).toMatchObject({ phone_number: '+14155550199', user_id: null, call_status: 'ringing', duration: null });
  });

  it('skips calls whose caller is not a phone number, keeping them out of the history', async () => {
    for (const caller of [...WITHHELD_CALLER_IDS, 'anonymous', 'client:alice', 'sip:alice@example.com']) {
      const callSid = fakeSid('CA');
      const [first] = answeredCallCallbacks(callSid, caller);
      const jobId = await addJob(env.queues, 'call-status', first as JobData<'call-status'>);
      const job = await waitFor(`job of ${caller} settled`, async () => {
        const settled = await env.queues.calls.getJob(jobId as string);
        return settled?.finishedOn !== undefined && settled;
      });
      expect(await job.getState()).toBe('completed');
      expect(job.returnvalue).toEqual({ outcome: 'skipped', reason: 'caller is not a phone number' });
      expect(await callRow(callSid)).toBeUndefined();
    }
  });
});
