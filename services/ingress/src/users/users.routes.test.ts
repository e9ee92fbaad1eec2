import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { type IngressHarness, startIngressHarness } from '../testing/ingress-harness.ts';

const TOKEN = 'internal-token-0123456789';

function postJson(h: IngressHarness, path: string, body: unknown, token: string | null = TOKEN) {
  return fetch(h.ingress.url + path, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', ...(token ? { Authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify(body),
  });
}

describe('POST /api/users', () => {
  let h: IngressHarness;
  beforeAll(async () => {
    h = await startIngressHarness({ INTERNAL_API_TOKEN: TOKEN });
  });
  afterAll(async () => {
    await h.close();
  });

  it('creates the auth user, profile, phone link and preferences, then enqueues onboarding', async () => {
    const response = await postJson(h, '/api/users', {
      phone: '(971) 336-4433',
      firstName: 'Ada',
      lastName: 'Lovelace',
      location: 'Portland',
      email: 'ada@example.com',
      voicePreference: 'Polly.Joanna',
    });
    expect(response.status).toBe(201);
    const { userId } = (await response.json()) as { userId: string };
    const { db } = h.testDb;

    const authUser = await db
      .selectFrom('auth.users')
      .select(['phone', 'email', 'phone_confirmed_at'])
      .where('id', '=', userId)
      .executeTakeFirstOrThrow();
    expect(authUser).toEqual({ phone: '19713364433', email: 'ada@example.com', phone_confirmed_at: null });
    const profile = await db
      .selectFrom('user_profiles')
      .select(['first_name', 'last_name', 'location', 'onboarding_status'])
      .where('user_id', '=', userId)
      .executeTakeFirstOrThrow();
    expect(profile).toEqual({
      first_name: 'Ada',
      last_name: 'Lovelace',
      location: 'Portland',
      onboarding_status: 'pending',
    });
    const link = await db
      .selectFrom('phone_links')
      .select(['phone_number', 'verified'])
      .where('user_id', '=', userId)
      .executeTakeFirstOrThrow();
    expect(link).toEqual({ phone_number: '+19713364433', verified: false });
    const preferences = await db
      .selectFrom('preferences')
      .select('voice_preference')
      .where('user_id', '=', userId)
      .executeTakeFirstOrThrow();
    expect(preferences.voice_preference).toBe('Polly.Joanna');

    const job = await h.queues.onboarding.getJob(`start.${userId}`);
    expect(job?.name).toBe('start-onboarding');
    expect(job?.data).toEqual({ userId, trigger: 'api' });
  });

  it('answers 409 when the phone number is already linked, and writes nothing', async () => {
    const first = await postJson(h, '/api/users', { phone: '+14155550101', firstName: 'A', lastName: 'B' });
    expect(first.status).toBe(201);
    const profilesBefore = await h.testDb.db.selectFrom('user_profiles').select('id').execute();

    const again = await postJson(h, '/api/users', { phone: '415-555-0101', firstName: 'C', lastName: 'D' });
    expect(again.status).toBe(409);
    expect(await again.json()).toEqual({ error: 'phone number is already linked to a user', field: 'phone' });
    expect(await h.testDb.db.selectFrom('user_profiles').select('id').execute()).toHaveLength(profilesBefore.length);
  });

  it('answers 400 with an error per field', async () => {
    const response = await postJson(h, '/api/users', { phone: '12', lastName: '', email: 'not-an-email' });
    expect(response.status).toBe(400);
    const { errors } = (await response.json()) as { errors: Record<string, string> };
    expect(Object.keys(errors).sort()).toEqual(['email', 'firstName', 'lastName', 'phone']);
    expect(errors.phone).toBe('must be a valid phone number');
  });

  it('answers 400 to a NUL character in a name, writing nothing', async () => {
    const response = await postJson(h, '/api/users', { phone: '+14155550188', firstName: 'Ada\u0000', lastName: 'L' });
    expect(response.status).toBe(400);
    expect(((await response.json()) as { errors: object }).errors).toEqual({
      firstName: 'must not contain a NUL character',
    });
  });

  it('answers 401 without the bearer token or with a wrong one', async () => {
    const missing = await postJson(h, '/api/users', {}, null);
    const wrong = await postJson(h, '/api/users', {}, 'internal-token-0123456788');
    expect([missing.status, wrong.status]).toEqual([401, 401]);
    expect(missing.headers.get('www-authenticate')).toBe('Bearer');
  });
});

describe('POST /hooks/user-profiles', () => {
  let h: IngressHarness;
  beforeAll(async () => {
    h = await startIngressHarness({ INTERNAL_API_TOKEN: TOKEN });
  });
  afterAll(async () => {
    await h.close();
  });

  const insert = (userId: string) => ({
    type: 'INSERT',
    table: 'user_profiles',
    schema: 'public',
    record: { id: 1, user_id: userId, first_name: 'Ada', last_name: 'Lovelace', onboarding_status: 'pending' },
    old_record: null,
  });

  it('enqueues onboarding for an inserted profile, once however often the hook fires', async () => {
    const userId = crypto.randomUUID();
    const first = await postJson(h, '/hooks/user-profiles', insert(userId));
    const retry = await postJson(h, '/hooks/user-profiles', insert(userId));
    expect([first.status, retry.status]).toEqual([202, 202]);
    expect(await first.json()).toEqual({ jobId: `start.${userId}` });
    const job = await h.queues.onboarding.getJob(`start.${userId}`);
    expect(job?.data).toEqual({ userId, trigger: 'db-webhook' });
    expect(await h.jobCount('onboarding')).toBe(1);
  });

  it('accepts and ignores updates and deletes', async () => {
    const update = { ...insert(crypto.randomUUID()), type: 'UPDATE' };
    const response = await postJson(h, '/hooks/user-profiles', update);
    expect(response.status).toBe(202);
    expect(await response.json()).toEqual({ ignored: true });
    expect(await h.jobCount('onboarding')).toBe(1);
  });

  it('answers 400 naming the field for another table or a record without a user id', async () => {
    const otherTable = await postJson(h, '/hooks/user-profiles', {
      ...insert(crypto.randomUUID()),
      table: 'preferences',
    });
    expect(otherTable.status).toBe(400);
    expect(((await otherTable.json()) as { errors: object }).errors).toHaveProperty('table');
    const noUser = await postJson(h, '/hooks/user-profiles', { ...insert('x'), record: { id: 2 } });
    expect(noUser.status).toBe(400);
    expect(((await noUser.json()) as { errors: object }).errors).toHaveProperty(['record.user_id']);
  });

  it('answers 401 with a wrong token', async () => {
    expect((await postJson(h, '/hooks/user-profiles', insert(crypto.randomUUID()), 'wrong')).status).toBe(401);
  });
});

describe('internal API without INTERNAL_API_TOKEN', () => {
  let h: IngressHarness;
  beforeAll(async () => {
    h = await startIngressHarness();
  });
  afterAll(async () => {
    await h.close();
  });

  it('does not exist', async () => {
    const users = await postJson(h, '/api/users', { phone: '+14155550101', firstName: 'A', lastName: 'B' });
    const hook = await postJson(h, '/hooks/user-profiles', {});
    expect([users.status, hook.status]).toEqual([404, 404]);
  });
});
