import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Sandbox } from '@series-killer/sandbox';
import { startTestStack, type TestStack } from '@series-killer/sandbox/testing';
import { claimOutboundCall, type Db, renewClaim, scheduleOutboundCall } from '@series-killer/shared';
import { uniqueTestPhone, waitFor } from '@series-killer/shared/testing';
import { createTwilioClient } from '@series-killer/shared/twilio';
import { UnrecoverableError } from 'bullmq';
import { sql } from 'kysely';
import { applyCallOutcome } from './apply-call-outcome.ts';
import { type CallPlacer, createTwilioCallPlacer } from './call-placer.ts';
import { type PlaceCallDeps, type PlaceCallSettings, placeCall } from './place-call.ts';

const LEASE_MS = 60_000;
const ALWAYS = { startMinute: 0, endMinute: 24 * 60 };

let stack: TestStack & { sandbox: Sandbox };
let db: Db;
let placer: CallPlacer;

beforeAll(async () => {
  stack = await startTestStack({ sandbox: true });
  db = stack.testDb.db;
  placer = createTwilioCallPlacer(createTwilioClient(stack.config.twilio), stack.config.twilio.fromNumber ?? '');
});
afterAll(async () => {
  await stack.close();
});

/** A user onboarding verified, and a call scheduled for them at `notBefore`. */
async function scheduledCall(
  options: { notBefore?: Date; verified?: boolean; timeZone?: string; phoneNumber?: string } = {},
) {
  const userId = randomUUID();
  const phoneNumber = options.phoneNumber ?? uniqueTestPhone();
  await sql`select public.create_integration_test_user(${userId}::uuid, ${phoneNumber}, ${null})`.execute(db);
  await db
    .insertInto('user_profiles')
    .values({ user_id: userId, first_name: 'Ada', last_name: 'Lovelace', onboarding_status: 'completed' })
    .execute();
  await db
    .insertInto('phone_links')
    .values({ user_id: userId, phone_number: phoneNumber, verified: options.verified ?? true })
    .execute();
  if (options.timeZone)
    await db.insertInto('user_time_zones').values({ user_id: userId, time_zone: options.timeZone }).execute();
  const { call } = await scheduleOutboundCall(db, {
    userId,
    phoneNumber,
    purpose: 'Friday’s episode',
    idempotencyKey: null,
    // Due a moment ago, so a clock started now finds it due.
    notBefore: options.notBefore ?? new Date(Date.now() - 1_000),
  });
  return { id: call.id, userId, phoneNumber };
}

/** A clock the test moves by hand. */
function manualClock(start = Date.now()) {
  let at = start;
  return { now: () => new Date(at), set: (time: number) => (at = time), advance: (ms: number) => (at += ms) };
}

function deps(
  overrides: Omit<Partial<PlaceCallDeps>, 'settings'> & { settings?: Partial<PlaceCallSettings> } = {},
): PlaceCallDeps {
  return {
    db,
    placer,
    queues: stack.queues,
    now: () => new Date(),
    ...overrides,
    settings: {
      hours: ALWAYS,
      defaultTimeZone: 'UTC',
      publicBaseUrl: stack.config.http.publicBaseUrl,
      callbackOverrides: stack.config.twilio.callbackOverrides,
      leaseMs: LEASE_MS,
      ...overrides.settings,
    },
  };
}

const callsTo = (phoneNumber: string) => stack.sandbox.calls().filter((call) => call.to === phoneNumber);

async function rowOf(id: string) {
  return db.selectFrom('outbound_calls').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
}

describe('placing an outbound call', () => {
  it('places it once with its TwiML, status callbacks, detection, and opens its history', async () => {
    const { id, phoneNumber } = await scheduledCall();
    const result = await placeCall(deps(), { outboundCallId: id, attempt: 1 });
    expect(result).toMatchObject({ outcome: 'placed', adopted: false });
    const [call, ...others] = callsTo(phoneNumber);
    expect(others).toEqual([]);
    const base = stack.config.http.publicBaseUrl;
    expect(call).toMatchObject({
      url: `${base}/twilio/voice/outbound?outboundCallId=${id}`,
      statusCallback: `${base}/twilio/voice/outbound/status?outboundCallId=${id}#${stack.config.twilio.callbackOverrides}`,
      statusCallbackEvents: ['initiated', 'ringing', 'answered', 'completed'],
      machineDetection: 'DetectMessageEnd',
    });
    expect(await rowOf(id)).toMatchObject({ status: 'placed', call_sid: call?.sid, lease_expires_at: null });
    const started = await stack.queues.calls.getJob(`call-started.${call?.sid}`);
    expect(started?.data).toMatchObject({ to: phoneNumber, direction: 'outbound-api', callStatus: 'initiated' });

    // The same job again (a duplicate, a retry after a crash once recorded) places nothing.
    expect(await placeCall(deps(), { outboundCallId: id, attempt: 1 })).toEqual({
      outcome: 'skipped',
      reason: 'the call is placed',
    });
    expect(callsTo(phoneNumber)).toHaveLength(1);
  });

  it('places one call when two runs of the same job race', async () => {
    const { id, phoneNumber } = await scheduledCall();
    const results = await Promise.all([
      placeCall(deps(), { outboundCallId: id, attempt: 1 }),
      placeCall(deps(), { outboundCallId: id, attempt: 1 }),
    ]);
    // The other run finds the claim live (wait) or the call placed already (skipped), by timing.
    expect(results.filter((r) => r.outcome === 'placed')).toHaveLength(1);
    expect(callsTo(phoneNumber)).toHaveLength(1);
  });

  it('waits for the morning when due at night, in the user’s zone, without calling', async () => {
    // 02:00 in Paris (UTC+1) on 15 January 2027: the calling hours open at 09:00 there, 08:00 UTC.
    const clock = manualClock(Date.parse('2027-01-15T01:00:00Z'));
    const { id, phoneNumber } = await scheduledCall({ notBefore: clock.now(), timeZone: 'Europe/Paris' });
    const nine = { hours: { startMinute: 9 * 60, endMinute: 20 * 60 } };
    const night = await placeCall(deps({ now: clock.now, settings: nine }), { outboundCallId: id, attempt: 1 });
    expect(night).toEqual({
      outcome: 'wait',
      until: new Date('2027-01-15T08:00:00Z'),
      reason: 'outside the calling hours',
    });
    expect(callsTo(phoneNumber)).toEqual([]);
    expect(await rowOf(id)).toMatchObject({ status: 'scheduled' });

    clock.set(Date.parse('2027-01-15T08:00:00Z'));
    const morning = await placeCall(deps({ now: clock.now, settings: nine }), { outboundCallId: id, attempt: 1 });
    expect(morning.outcome).toBe('placed');
    expect(callsTo(phoneNumber)).toHaveLength(1);
  });

  it('adopts the call a run that crashed after Twilio accepted it placed, instead of a second', async () => {
    const clock = manualClock();
    const { id, phoneNumber } = await scheduledCall();
    const crashing: CallPlacer = {
      ...placer,
      dial: async (call) => {
        await placer.dial(call);
        throw new Error('the process died before it recorded the call');
      },
    };
    await expect(
      placeCall(deps({ placer: crashing, now: clock.now }), { outboundCallId: id, attempt: 1 }),
    ).rejects.toThrow('Twilio did not place the call');
    expect(await rowOf(id)).toMatchObject({ status: 'placing', call_sid: null });

    // Within the lease, a retry waits for the first run rather than calling.
    const early = await placeCall(deps({ now: clock.now }), { outboundCallId: id, attempt: 1 });
    expect(early.outcome).toBe('wait');
    clock.advance(LEASE_MS + 1);
    const retry = await placeCall(deps({ now: clock.now }), { outboundCallId: id, attempt: 1 });
    const [only, ...others] = callsTo(phoneNumber);
    expect(others).toEqual([]);
    expect(retry).toEqual({ outcome: 'placed', callSid: only?.sid, adopted: true });
    expect(await rowOf(id)).toMatchObject({ status: 'placed', call_sid: only?.sid });
  });

  it('places no second call when the run that gave up was still waiting on Twilio’s answer', async () => {
    const clock = manualClock();
    const { id, phoneNumber } = await scheduledCall();
    // The sandbox holds the create a second; the run's client gives up after 100 ms, as a run that
    // crashed mid-request would, while Twilio still places the call.
    const impatient = createTwilioCallPlacer(createTwilioClient(stack.config.twilio, { timeoutMs: 100 }), placer.from);
    stack.sandbox.setTwilioMode({ latencyMs: 1_000, times: 1 });
    await expect(
      placeCall(deps({ placer: impatient, now: clock.now }), { outboundCallId: id, attempt: 1 }),
    ).rejects.toThrow('Twilio did not place the call');
    expect(await rowOf(id)).toMatchObject({ status: 'placing', call_sid: null });
    await waitFor('Twilio to place the held call', () => callsTo(phoneNumber).length === 1);

    clock.advance(LEASE_MS + 1);
    const retry = await placeCall(deps({ now: clock.now }), { outboundCallId: id, attempt: 1 });
    expect(retry).toEqual({ outcome: 'placed', callSid: callsTo(phoneNumber)[0]?.sid, adopted: true });
    expect(callsTo(phoneNumber)).toHaveLength(1);
  });

  it('places the call once when the run that crashed never reached Twilio', async () => {
    const clock = manualClock();
    const { id, phoneNumber } = await scheduledCall();
    const unreachable: CallPlacer = {
      ...placer,
      dial: async () => {
        throw new Error('socket hang up');
      },
    };
    await expect(
      placeCall(deps({ placer: unreachable, now: clock.now }), { outboundCallId: id, attempt: 1 }),
    ).rejects.toThrow('Twilio did not place the call');
    clock.advance(LEASE_MS + 1);
    expect(await placeCall(deps({ now: clock.now }), { outboundCallId: id, attempt: 1 })).toMatchObject({
      outcome: 'placed',
      adopted: false,
    });
    expect(callsTo(phoneNumber)).toHaveLength(1);
  });

  it('lets a run that stalled past its lease call no one once another run took the attempt over', async () => {
    const { id } = await scheduledCall();
    const start = Date.now();
    const first = { id, attempt: 1, owner: 'stalled', leaseMs: LEASE_MS };
    expect(await claimOutboundCall(db, { ...first, now: new Date(start) })).toMatchObject({ claimed: true });
    const later = new Date(start + LEASE_MS + 1);
    expect(await claimOutboundCall(db, { ...first, owner: 'next', now: later })).toMatchObject({
      claimed: true,
      resumed: true,
    });
    expect(await renewClaim(db, { ...first, now: later })).toBe(false);
    expect(await renewClaim(db, { ...first, owner: 'next', now: later })).toBe(true);
  });

  it('skips a canceled call, and a user who sent STOP or is not verified since, without calling', async () => {
    const canceled = await scheduledCall();
    await db.updateTable('outbound_calls').set({ status: 'canceled' }).where('id', '=', canceled.id).execute();
    expect(await placeCall(deps(), { outboundCallId: canceled.id, attempt: 1 })).toEqual({
      outcome: 'skipped',
      reason: 'the call is canceled',
    });

    const stopped = await scheduledCall();
    await db
      .insertInto('sms_opt_outs')
      .values({ phone_number: stopped.phoneNumber, user_id: stopped.userId, opted_out: true, keyword: 'STOP' })
      .execute();
    expect(await placeCall(deps(), { outboundCallId: stopped.id, attempt: 1 })).toEqual({
      outcome: 'skipped',
      reason: 'the number replied STOP',
    });
    expect(await rowOf(stopped.id)).toMatchObject({ status: 'skipped', last_error: 'the number replied STOP' });

    const unverified = await scheduledCall({ verified: false });
    expect(await placeCall(deps(), { outboundCallId: unverified.id, attempt: 1 })).toMatchObject({
      outcome: 'skipped',
    });
    for (const { phoneNumber } of [canceled, stopped, unverified]) expect(callsTo(phoneNumber)).toEqual([]);
  });

  it('ends the call as failed when Twilio refuses the number', async () => {
    const { id } = await scheduledCall({ phoneNumber: '+15005550001' });
    const placing = placeCall(deps(), { outboundCallId: id, attempt: 1 });
    await expect(placing).rejects.toThrow(UnrecoverableError);
    await expect(placing).rejects.toThrow('Twilio refused the call: the number is not valid');
    expect(await rowOf(id)).toMatchObject({ status: 'failed', last_error: 'the number is not valid' });
  });
});

describe('what Twilio reports of a placed call', () => {
  const outcomeDeps = (now: () => Date, retries = 1) => ({
    db,
    queues: stack.queues,
    now,
    retries,
    retryAfterMs: 10 * 60_000,
  });

  it('tries a busy call again after the delay, as a new attempt, then records the final outcome', async () => {
    const clock = manualClock();
    const { id, phoneNumber } = await scheduledCall();
    stack.sandbox.setCallModeFor(phoneNumber, { outcome: 'busy' });
    const first = await placeCall(deps({ now: clock.now }), { outboundCallId: id, attempt: 1 });
    if (first.outcome !== 'placed') throw new Error(`not placed: ${JSON.stringify(first)}`);

    const busy = { outboundCallId: id, callSid: first.callSid, callStatus: 'busy', answeredBy: null } as const;
    expect(await applyCallOutcome(outcomeDeps(clock.now), busy)).toEqual({
      outcome: 'applied',
      status: 'scheduled',
      attempt: 2,
    });
    // A repeated callback changes nothing.
    expect(await applyCallOutcome(outcomeDeps(clock.now), busy)).toMatchObject({ status: 'scheduled', attempt: 2 });
    const retryJob = await stack.queues['outbound-calls'].getJob(`place-call.${id}.2`);
    expect(retryJob?.delay).toBe(10 * 60_000);
    expect(await rowOf(id)).toMatchObject({ call_sid: null, earlier_call_sids: [first.callSid], last_error: 'busy' });

    // The first attempt's job, run again, does nothing; the second waits for its time, then calls.
    expect(await placeCall(deps({ now: clock.now }), { outboundCallId: id, attempt: 1 })).toMatchObject({
      outcome: 'skipped',
    });
    expect(await placeCall(deps({ now: clock.now }), { outboundCallId: id, attempt: 2 })).toMatchObject({
      outcome: 'wait',
      reason: 'not due yet',
    });
    clock.advance(10 * 60_000);
    const second = await placeCall(deps({ now: clock.now }), { outboundCallId: id, attempt: 2 });
    if (second.outcome !== 'placed') throw new Error(`not placed: ${JSON.stringify(second)}`);
    expect(callsTo(phoneNumber)).toHaveLength(2);

    const noAnswer = { ...busy, callSid: second.callSid, callStatus: 'no-answer' } as const;
    expect(await applyCallOutcome(outcomeDeps(clock.now), noAnswer)).toEqual({
      outcome: 'applied',
      status: 'no-answer',
      attempt: 2,
    });
    expect((await rowOf(id)).finished_at).not.toBeNull();
  });

  it('records a person, a voicemail, and the end of the call, forward only', async () => {
    const { id } = await scheduledCall();
    const placed = await placeCall(deps(), { outboundCallId: id, attempt: 1 });
    if (placed.outcome !== 'placed') throw new Error('not placed');
    const report = (callStatus: 'in-progress' | 'completed', answeredBy: string | null) =>
      applyCallOutcome(
        outcomeDeps(() => new Date()),
        { outboundCallId: id, callSid: placed.callSid, callStatus, answeredBy },
      );
    expect(await report('in-progress', 'machine_end_beep')).toMatchObject({ status: 'voicemail' });
    expect(await report('completed', null)).toMatchObject({ status: 'voicemail' });
    expect(await rowOf(id)).toMatchObject({ answered_by: 'machine_end_beep' });

    const other = await scheduledCall();
    const person = await placeCall(deps(), { outboundCallId: other.id, attempt: 1 });
    if (person.outcome !== 'placed') throw new Error('not placed');
    const reportOther = (callStatus: 'in-progress' | 'completed') =>
      applyCallOutcome(
        outcomeDeps(() => new Date()),
        {
          outboundCallId: other.id,
          callSid: person.callSid,
          callStatus,
          answeredBy: 'human',
        },
      );
    // Out of order: the end first, then the answer, which comes too late to move it back.
    expect(await reportOther('completed')).toMatchObject({ status: 'completed' });
    expect(await reportOther('in-progress')).toMatchObject({ status: 'completed' });
  });

  it('waits for the placing run to record the call before applying its first report', async () => {
    const { id } = await scheduledCall();
    await claimOutboundCall(db, { id, attempt: 1, owner: 'slow', leaseMs: LEASE_MS, now: new Date() });
    await expect(
      applyCallOutcome(
        outcomeDeps(() => new Date()),
        {
          outboundCallId: id,
          callSid: `CA${'0'.repeat(32)}`,
          callStatus: 'busy',
          answeredBy: null,
        },
      ),
    ).rejects.toThrow('is not recorded on its outbound call yet');
  });
});
