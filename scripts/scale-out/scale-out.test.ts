import { randomInt } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { addJob, SANDBOX_DEFAULTS, sendSmsJobId, VERIFICATION_CODE_IN_TEXT } from '@series-killer/shared';
import { waitFor } from '@series-killer/shared/testing';
import { Cluster } from 'ioredis';
import { type ClusterStack, startClusterStack } from './cluster-stack.ts';

const MAX_PER_SECOND = 5;
const SEND_INTERVAL_MS = 1_000 / MAX_PER_SECOND;
/**
 * The limiter spaces the starts of send jobs in Redis, and BullMQ stamps each start
 * (`processedOn`); those are compared with the interval, less this much for the clocks of two
 * processes and Redis's own timing. A broken (per-process) limiter would start two replicas'
 * jobs within a few ms of each other.
 */
const START_TOLERANCE_MS = 25;
/**
 * The sandbox stamps a message when the request reaches it, after the job has claimed its
 * delivery record in Postgres and made an HTTP call: on a loaded machine that delay varies by
 * hundreds of milliseconds, so arrivals are checked over the whole run, not gap by gap.
 */
const START_TO_ARRIVAL_SPREAD_MS = 400;
const SWEEP_INTERVAL_MS = 1_000;
const DASHBOARD = { user: 'admin', password: 'scale-out-dashboard' };

let stack: ClusterStack;

beforeAll(async () => {
  stack = await startClusterStack({
    replicas: 2,
    env: {
      SMS_MAX_PER_SECOND: String(MAX_PER_SECOND),
      ONBOARDING_SWEEP_INTERVAL: `${SWEEP_INTERVAL_MS}ms`,
      DASHBOARD_USER: DASHBOARD.user,
      DASHBOARD_PASSWORD: DASHBOARD.password,
    },
  });
}, 120_000);

afterAll(async () => {
  await stack?.cleanUp();
}, 60_000);

function uniquePhone(): string {
  return `+1415${randomInt(1_000_000, 9_999_999)}`;
}

/** Adds `count` sends with bodies `<tag> <i>` and resolves with those bodies. */
async function enqueueSends(tag: string, count: number): Promise<string[]> {
  const bodies = Array.from({ length: count }, (_, i) => `${tag} ${i}`);
  for (const body of bodies) {
    await addJob(stack.queues, 'send-sms', { sendKey: body.replace(' ', '.'), to: uniquePhone(), body, userId: null });
  }
  return bodies;
}

function sandboxMessagesWith(bodies: string[]) {
  const wanted = new Set(bodies);
  return stack.sandbox?.messages().filter((message) => wanted.has(message.body)) ?? [];
}

/** Waits until every body reached the sandbox and both status callbacks of each were applied. */
async function waitUntilDelivered(bodies: string[], timeoutMs: number) {
  const messages = await waitFor(
    `${bodies.length} messages at the sandbox`,
    () => {
      const seen = sandboxMessagesWith(bodies);
      return new Set(seen.map((message) => message.body)).size === bodies.length && seen;
    },
    { timeoutMs, intervalMs: 100 },
  );
  const sids = messages.map((message) => message.sid);
  await waitFor(
    'every sent and delivered callback applied',
    async () => {
      const rows = await stack.db
        .selectFrom('sms_status_events')
        .select('id')
        .where('message_sid', 'in', sids)
        .where('applied_at', 'is not', null)
        .execute();
      return rows.length >= 2 * sids.length;
    },
    { timeoutMs, intervalMs: 100 },
  );
  return messages;
}

/** Every message sent once, recorded once, and each of its statuses logged and applied once. */
async function expectExactlyOnce(bodies: string[]) {
  const messages = sandboxMessagesWith(bodies);
  expect(messages.map((message) => message.body).sort()).toEqual([...bodies].sort());
  const sids = messages.map((message) => message.sid);
  const history = await stack.db
    .selectFrom('sms_history')
    .select('message_sid')
    .where('message_sid', 'in', sids)
    .execute();
  expect(history.map((row) => row.message_sid).sort()).toEqual([...sids].sort());
  const events = await stack.db
    .selectFrom('sms_status_events')
    .select(['message_sid', 'status', 'applied_at'])
    .where('message_sid', 'in', sids)
    .execute();
  const expected = sids.flatMap((sid) => [`${sid} delivered`, `${sid} sent`]).sort();
  expect(events.map((event) => `${event.message_sid} ${event.status}`).sort()).toEqual(expected);
  expect(events.every((event) => event.applied_at !== null)).toBe(true);
}

describe('the stack on a Redis Cluster with two replicas of every worker', () => {
  it('runs every queue through the cluster; /readyz, /metrics and the dashboard answer', async () => {
    expect(stack.redis).toBeInstanceOf(Cluster);
    expect(await stack.queues['sms-outbound'].getWorkersCount()).toBe(2);

    const ready = await fetch(`${stack.publicBaseUrl}/readyz`);
    expect(await ready.json()).toEqual({ redis: 'ok', postgres: 'ok' });
    const metrics = await (
      await fetch(`${stack.publicBaseUrl}/metrics`, { headers: { authorization: `Bearer ${stack.metricsToken}` } })
    ).text();
    expect(metrics).toContain('ingress_queue_jobs{queue="sms-outbound",state="waiting"}');

    const auth = `Basic ${Buffer.from(`${DASHBOARD.user}:${DASHBOARD.password}`).toString('base64')}`;
    const board = await fetch(`${stack.publicBaseUrl}/admin/queues/api/queues?page=1&jobsPerPage=10`, {
      headers: { authorization: auth },
    });
    expect(board.status).toBe(200);
    const { queues } = (await board.json()) as { queues: { name: string }[] };
    expect(queues.map((queue) => queue.name).sort()).toEqual(
      [
        'calls',
        'onboarding',
        'outbound-call-outcomes',
        'outbound-calls',
        'sms-inbound',
        'sms-outbound',
        'sms-status',
        'summaries',
      ].sort(),
    );
  });

  it('sends each SMS once and applies its signed status callbacks once, up to delivered', async () => {
    const bodies = await enqueueSends('e2e', 8);
    await waitUntilDelivered(bodies, 30_000);
    await expectExactlyOnce(bodies);
  });

  it('holds the per-sender rate across both SMS replicas', async () => {
    const bodies = await enqueueSends('rate', 10);
    const messages = await waitUntilDelivered(bodies, 30_000);
    const jobs = await Promise.all(
      bodies.map((body) => stack.queues['sms-outbound'].getJob(sendSmsJobId(body.replace(' ', '.')))),
    );
    const starts = jobs.map((job) => job?.processedOn ?? 0).sort((a, b) => a - b);
    expect(starts[0]).toBeGreaterThan(0);
    const gaps = starts.slice(1).map((at, i) => at - (starts[i] ?? at));
    expect(Math.min(...gaps)).toBeGreaterThanOrEqual(SEND_INTERVAL_MS - START_TOLERANCE_MS);
    const arrivals = messages.map((message) => message.receivedAt).sort((a, b) => a - b);
    expect((arrivals.at(-1) ?? 0) - (arrivals[0] ?? 0)).toBeGreaterThanOrEqual(
      (bodies.length - 1) * SEND_INTERVAL_MS - START_TO_ARRIVAL_SPREAD_MS,
    );
  });

  it('loses and duplicates nothing when one SMS replica is SIGKILLed mid-stream', async () => {
    const victim = stack.processes.find((proc) => proc.name === 'sms-1');
    if (!victim) throw new Error('no sms-1 process');
    const bodies = await enqueueSends('kill', 30);
    await waitFor('a third of the stream to be sent', () => sandboxMessagesWith(bodies).length >= 10, {
      timeoutMs: 30_000,
    });
    const exited = new Promise((resolve) => victim.child.once('exit', resolve));
    victim.child.kill('SIGKILL');
    await exited;

    // A send the victim held is taken over once its lock expires (BullMQ's stalled-job check,
    // 30 s); the retry finds the message Twilio already accepted instead of sending it again.
    const messages = await waitFor(
      'every message sent and recorded',
      async () => {
        const sent = sandboxMessagesWith(bodies);
        if (new Set(sent.map((message) => message.body)).size < bodies.length) return false;
        const rows = await stack.db
          .selectFrom('sms_history')
          .select('message_sid')
          .where(
            'message_sid',
            'in',
            sent.map((message) => message.sid),
          )
          .execute();
        return rows.length >= bodies.length && sent;
      },
      { timeoutMs: 100_000, intervalMs: 200 },
    );
    expect(messages.map((message) => message.body).sort()).toEqual([...bodies].sort());
    const history = await stack.db
      .selectFrom('sms_history')
      .select('message_sid')
      .where(
        'message_sid',
        'in',
        messages.map((message) => message.sid),
      )
      .execute();
    expect(history).toHaveLength(bodies.length);
  }, 150_000);

  it('onboards users from POST /api/users to completed, with one welcome each', async () => {
    const phones = [uniquePhone(), uniquePhone(), uniquePhone()];
    const userIds = await Promise.all(
      phones.map(async (phone) => {
        const response = await fetch(`${stack.publicBaseUrl}/api/users`, {
          method: 'POST',
          headers: { authorization: `Bearer ${stack.internalApiToken}`, 'content-type': 'application/json' },
          body: JSON.stringify({ phone, firstName: 'Ada', lastName: 'Lovelace' }),
        });
        expect(response.status).toBe(201);
        return ((await response.json()) as { userId: string }).userId;
      }),
    );
    const messagesTo = (phone: string) => sandboxMessagesTo(phone);

    for (const phone of phones) {
      const sent = await waitFor(
        `welcome and code to ${phone}`,
        () => messagesTo(phone).length >= 2 && messagesTo(phone),
      );
      const code = sent.map((message) => VERIFICATION_CODE_IN_TEXT.exec(message.body)?.[1]).find(Boolean);
      if (!code) throw new Error(`no code in ${JSON.stringify(sent.map((message) => message.body))}`);
      await stack.sandbox?.sendInboundSms({ from: phone, to: SANDBOX_DEFAULTS.twilioFromNumber, body: code });
    }
    await waitFor(
      'every profile completed',
      async () => {
        const rows = await stack.db
          .selectFrom('user_profiles')
          .select('onboarding_status')
          .where('user_id', 'in', userIds)
          .execute();
        return rows.length === userIds.length && rows.every((row) => row.onboarding_status === 'completed');
      },
      { timeoutMs: 30_000, intervalMs: 100 },
    );
    await waitFor('every confirmation', () => phones.every((phone) => messagesTo(phone).length >= 3), {
      timeoutMs: 30_000,
    });

    for (const phone of phones) expect(messagesTo(phone)).toHaveLength(3);
    const onboardingMessages = await stack.db
      .selectFrom('onboarding_messages')
      .select(['user_id', 'message_type'])
      .where('user_id', 'in', userIds)
      .where('message_type', 'in', ['welcome', 'verification'])
      .execute();
    const perUser = userIds.map((id) =>
      onboardingMessages
        .filter((row) => row.user_id === id)
        .map((row) => row.message_type)
        .sort(),
    );
    expect(perUser).toEqual(userIds.map(() => ['verification', 'welcome']));
  }, 90_000);

  it('runs the onboarding sweep once per interval with three replicas up', async () => {
    await stack.start('onboarding');
    expect(await stack.queues.onboarding.getWorkersCount()).toBe(3);
    const since = Date.now();
    const runs = await waitFor(
      'five sweeps since the third replica started',
      async () => {
        const jobs = await stack.queues.onboarding.getJobs(['completed', 'active']);
        const sweeps = jobs.filter((job) => job.name === 'sweep-pending-profiles' && (job.processedOn ?? 0) >= since);
        return sweeps.length >= 5 && sweeps;
      },
      { timeoutMs: 20_000, intervalMs: 100 },
    );
    const window = Date.now() - since;
    // The scheduler's job id carries the slot it runs for: one job per slot, slots one interval apart.
    const slots = runs.map((job) => Number(job.id?.split(':').at(-1))).sort((a, b) => a - b);
    expect(new Set(slots).size).toBe(slots.length);
    const gaps = slots.slice(1).map((slot, i) => slot - (slots[i] ?? slot));
    for (const gap of gaps) expect(gap % SWEEP_INTERVAL_MS).toBe(0);
    expect(Math.min(...gaps)).toBeGreaterThanOrEqual(SWEEP_INTERVAL_MS);
    expect(runs.length).toBeLessThanOrEqual(Math.floor(window / SWEEP_INTERVAL_MS) + 1);
  }, 60_000);
});

function sandboxMessagesTo(phone: string) {
  return stack.sandbox?.messages().filter((message) => message.to === phone) ?? [];
}
