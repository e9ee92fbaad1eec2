import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { freePort } from '@series-killer/shared/testing';
import { type IngressHarness, startIngressHarness } from '../testing/ingress-harness.ts';

const TOKEN = 'internal-token-0123456789';

function request(h: IngressHarness, method: string, path: string, body?: unknown, token: string | null = TOKEN) {
  return fetch(h.ingress.url + path, {
    method,
    headers: { 'Content-Type': 'application/json', ...(token ? { Authorization: `Bearer ${token}` } : {}) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
}

let numbers = 0;

/** A user made through the API, verified unless told otherwise. */
async function newUser(h: IngressHarness, options: { timeZone?: string; verified?: boolean } = {}) {
  numbers += 1;
  const phone = `+1415555${String(2000 + numbers).padStart(4, '0')}`;
  const response = await request(h, 'POST', '/api/users', {
    phone,
    firstName: 'Ada',
    lastName: 'Lovelace',
    ...(options.timeZone ? { timeZone: options.timeZone } : {}),
  });
  expect(response.status).toBe(201);
  const { userId } = (await response.json()) as { userId: string };
  if (options.verified ?? true)
    await h.testDb.db.updateTable('phone_links').set({ verified: true }).where('user_id', '=', userId).execute();
  return { userId, phone };
}

async function placeCallJob(h: IngressHarness, id: string, attempt = 1) {
  return h.queues['outbound-calls'].getJob(`place-call.${id}.${attempt}`);
}

describe('the outbound calls API', () => {
  let h: IngressHarness;
  beforeAll(async () => {
    h = await startIngressHarness({ INTERNAL_API_TOKEN: TOKEN });
  });
  afterAll(async () => {
    await h.close();
  });

  it('records a call and enqueues its placing, once per idempotency key', async () => {
    const { userId } = await newUser(h);
    const body = { userId, purpose: 'remind them of Friday’s episode', idempotencyKey: `remind-${userId}` };
    const first = await request(h, 'POST', '/api/calls', body);
    expect(first.status).toBe(202);
    const { id } = (await first.json()) as { id: string };
    const again = await request(h, 'POST', '/api/calls', body);
    expect(again.status).toBe(202);
    expect(((await again.json()) as { id: string }).id).toBe(id);

    const rows = await h.testDb.db.selectFrom('outbound_calls').selectAll().where('user_id', '=', userId).execute();
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ id, status: 'scheduled', attempt: 1, purpose: body.purpose });
    const job = await placeCallJob(h, id);
    expect(job?.data).toEqual({ outboundCallId: id, attempt: 1 });
    expect(await h.queues['outbound-calls'].getJobCountByTypes('waiting', 'delayed', 'prioritized')).toBe(1);

    const shown = await request(h, 'GET', `/api/calls/${id}`);
    expect(await shown.json()).toMatchObject({ id, userId, status: 'scheduled', purpose: body.purpose });
    const listed = (await (await request(h, 'GET', '/api/calls?limit=5')).json()) as { calls: { id: string }[] };
    expect(listed.calls.map((call) => call.id)).toContain(id);
  });

  it('finds the user by a linked number too', async () => {
    const { userId, phone } = await newUser(h);
    const response = await request(h, 'POST', '/api/calls', { phone: phone.replace('+1', '') });
    expect(response.status).toBe(202);
    const { id } = (await response.json()) as { id: string };
    const row = await h.testDb.db.selectFrom('outbound_calls').selectAll().where('id', '=', id).executeTakeFirst();
    expect(row).toMatchObject({ user_id: userId, phone_number: phone });
  });

  it('waits for the morning in the user’s time zone when asked for at night', async () => {
    // 22:00 in New York (EST, UTC-5) on 14 January 2027: calling hours open at 09:00 there, 14:00 UTC.
    const { userId } = await newUser(h, { timeZone: 'America/New_York' });
    const response = await request(h, 'POST', '/api/calls', { userId, at: '2027-01-15T03:00:00Z' });
    expect(response.status).toBe(202);
    const { id, notBefore } = (await response.json()) as { id: string; notBefore: string };
    expect(notBefore).toBe('2027-01-15T14:00:00.000Z');
    const job = await placeCallJob(h, id);
    // Its delay counts from when Redis stored it, a few milliseconds after the request's clock.
    const runsAt = (job?.timestamp ?? 0) + (job?.delay ?? 0);
    expect(Math.abs(runsAt - Date.parse(notBefore))).toBeLessThan(1_000);

    // Without a known zone: OUTBOUND_CALL_TIMEZONE (UTC), so 03:00 waits until 09:00 UTC.
    const other = await newUser(h);
    const inUtc = await request(h, 'POST', '/api/calls', { userId: other.userId, at: '2027-01-15T03:00:00Z' });
    expect(((await inUtc.json()) as { notBefore: string }).notBefore).toBe('2027-01-15T09:00:00.000Z');
  });

  it('answers 404 for an unknown user and 409 for one who must not be called', async () => {
    expect((await request(h, 'POST', '/api/calls', { userId: randomUUID() })).status).toBe(404);
    expect((await request(h, 'POST', '/api/calls', { phone: '+14155559999' })).status).toBe(404);

    const unverified = await newUser(h, { verified: false });
    const refused = await request(h, 'POST', '/api/calls', { userId: unverified.userId });
    expect(refused.status).toBe(409);
    expect(await refused.json()).toEqual({ error: 'the number is not verified' });

    const stopped = await newUser(h);
    await h.testDb.db
      .insertInto('sms_opt_outs')
      .values({ phone_number: stopped.phone, user_id: stopped.userId, opted_out: true, keyword: 'STOP' })
      .execute();
    const stop = await request(h, 'POST', '/api/calls', { userId: stopped.userId });
    expect(stop.status).toBe(409);
    expect(await stop.json()).toEqual({ error: 'the number replied STOP' });

    const erased = randomUUID();
    await h.testDb.db.insertInto('user_erasures').values({ erased_user_id: erased }).execute();
    const gone = await request(h, 'POST', '/api/calls', { userId: erased });
    expect(gone.status).toBe(409);
    expect(await gone.json()).toEqual({ error: 'the user was erased' });
    expect(await h.testDb.db.selectFrom('outbound_calls').select('id').where('user_id', '=', erased).execute()).toEqual(
      [],
    );
  });

  it('answers 400 naming each bad field, and 401 without the token', async () => {
    const { userId } = await newUser(h);
    const bad = await request(h, 'POST', '/api/calls', {
      userId,
      purpose: 'x'.repeat(501),
      at: 'tomorrow',
      idempotencyKey: 'has spaces',
    });
    expect(bad.status).toBe(400);
    const { errors } = (await bad.json()) as { errors: Record<string, string> };
    expect(Object.keys(errors).sort()).toEqual(['at', 'idempotencyKey', 'purpose']);
    expect(errors.purpose).toBe('must be at most 500 characters');

    const both = await request(h, 'POST', '/api/calls', { userId, phone: '+14155550000' });
    expect(await both.json()).toMatchObject({ errors: { userId: 'give exactly one of userId and phone' } });
    expect((await request(h, 'GET', '/api/calls/not-a-uuid')).status).toBe(400);
    expect((await request(h, 'POST', '/api/calls', { userId }, null)).status).toBe(401);
  });

  it('cancels a call not yet placed, and refuses once it is placed', async () => {
    const { userId } = await newUser(h);
    const placed = async () =>
      ((await (await request(h, 'POST', '/api/calls', { userId })).json()) as { id: string }).id;
    const id = await placed();
    expect((await request(h, 'DELETE', `/api/calls/${id}`)).status).toBe(204);
    expect(await placeCallJob(h, id)).toBeUndefined();
    expect(await (await request(h, 'GET', `/api/calls/${id}`)).json()).toMatchObject({ status: 'canceled' });
    expect((await request(h, 'DELETE', `/api/calls/${id}`)).status).toBe(409);
    expect((await request(h, 'DELETE', `/api/calls/${randomUUID()}`)).status).toBe(404);

    const other = await placed();
    await h.testDb.db.updateTable('outbound_calls').set({ status: 'placed' }).where('id', '=', other).execute();
    const late = await request(h, 'DELETE', `/api/calls/${other}`);
    expect(late.status).toBe(409);
    expect(await late.json()).toMatchObject({ status: 'placed' });
  });

  it('keeps a new user’s time zone, and refuses a zone that does not exist', async () => {
    const { userId } = await newUser(h, { timeZone: 'Europe/Paris' });
    const zone = await h.testDb.db
      .selectFrom('user_time_zones')
      .select('time_zone')
      .where('user_id', '=', userId)
      .executeTakeFirst();
    expect(zone?.time_zone).toBe('Europe/Paris');
    const bad = await request(h, 'POST', '/api/users', {
      phone: '+14155558888',
      firstName: 'A',
      lastName: 'B',
      timeZone: 'Mars/Olympus_Mons',
    });
    expect(bad.status).toBe(400);
    expect(await bad.json()).toMatchObject({ errors: { timeZone: 'must be an IANA time zone such as Europe/Paris' } });
  });
});

describe('the outbound calls API while Redis is down', () => {
  let h: IngressHarness;
  beforeAll(async () => {
    h = await startIngressHarness({ INTERNAL_API_TOKEN: TOKEN, REDIS_URL: `redis://127.0.0.1:${await freePort()}` });
  });
  afterAll(async () => {
    await h.close();
  });

  it('answers 503, and leaves a call no one can retry canceled, one with a key for its retry', async () => {
    const { userId } = await newUser(h);
    expect((await request(h, 'POST', '/api/calls', { userId })).status).toBe(503);
    const keyed = await request(h, 'POST', '/api/calls', { userId, idempotencyKey: `retry-${userId}` });
    expect(keyed.status).toBe(503);
    const rows = await h.testDb.db
      .selectFrom('outbound_calls')
      .select(['status', 'idempotency_key'])
      .where('user_id', '=', userId)
      .orderBy('created_at')
      .execute();
    expect(rows).toEqual([
      { status: 'canceled', idempotency_key: null },
      { status: 'scheduled', idempotency_key: `retry-${userId}` },
    ]);
  });
});
