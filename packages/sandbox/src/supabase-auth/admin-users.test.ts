import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { SANDBOX_DEFAULTS } from '@series-killer/shared';
import { createTestDatabase, type TestDatabase } from '@series-killer/shared/testing';
import { AuthApiError, createClient, type SupabaseClient } from '@supabase/supabase-js';
import { type Sandbox, startSandbox } from '../sandbox.ts';

let testDb: TestDatabase;
let sandbox: Sandbox;
let supabase: SupabaseClient;

beforeAll(async () => {
  testDb = await createTestDatabase();
  sandbox = await startSandbox({
    accountSid: SANDBOX_DEFAULTS.twilioAccountSid,
    authToken: SANDBOX_DEFAULTS.twilioAuthToken,
    databaseUrl: testDb.url,
  });
  supabase = createClient(sandbox.url, SANDBOX_DEFAULTS.supabaseServiceRoleKey, {
    auth: { persistSession: false, autoRefreshToken: false },
  });
});

afterAll(async () => {
  await sandbox.close();
  await testDb.drop();
});

describe('Supabase Auth admin', () => {
  it('creates the auth.users row, phone without +, and answers Supabase’s user JSON', async () => {
    const { data, error } = await supabase.auth.admin.createUser({
      phone: '+14155550130',
      user_metadata: { first_name: 'Dana' },
    });

    expect(error).toBeNull();
    const user = data.user;
    expect(user?.id).toMatch(/^[0-9a-f-]{36}$/);
    expect(user).toMatchObject({
      aud: 'authenticated',
      role: 'authenticated',
      phone: '14155550130',
      email: '',
      app_metadata: { provider: 'phone', providers: ['phone'] },
      user_metadata: { first_name: 'Dana' },
      is_anonymous: false,
    });
    expect(user?.identities?.[0]).toMatchObject({ provider: 'phone', user_id: user?.id });
    expect(user?.phone_confirmed_at).toBeUndefined();

    const row = await testDb.db
      .selectFrom('auth.users')
      .select(['id', 'phone', 'aud', 'raw_user_meta_data', 'phone_confirmed_at'])
      .where('id', '=', user?.id ?? '')
      .executeTakeFirstOrThrow();
    expect(row).toEqual({
      id: user?.id,
      phone: '14155550130',
      aud: 'authenticated',
      raw_user_meta_data: { first_name: 'Dana' },
      phone_confirmed_at: null,
    });
  });

  it('confirms the phone when asked to', async () => {
    const { data } = await supabase.auth.admin.createUser({ phone: '14155550131', phone_confirm: true });
    expect(data.user?.phone_confirmed_at).toEqual(expect.any(String));
    const fetched = await supabase.auth.admin.getUserById(data.user?.id ?? '');
    expect(fetched.data.user?.phone).toBe('14155550131');
  });

  it('fails a duplicate phone with Supabase’s phone_exists error', async () => {
    await supabase.auth.admin.createUser({ phone: '+14155550132' });
    const { data, error } = await supabase.auth.admin.createUser({ phone: '+14155550132' });

    expect(data.user).toBeNull();
    expect(error).toBeInstanceOf(AuthApiError);
    expect(error?.status).toBe(422);
    expect(error?.code).toBe('phone_exists');
    expect(error?.message).toBe('Phone number already registered by another user');
    const rows = await testDb.db.selectFrom('auth.users').select('id').where('phone', '=', '14155550132').execute();
    expect(rows).toHaveLength(1);
  });

  it('rejects a phone that is not E.164 and a key that is not the service role', async () => {
    const invalid = await supabase.auth.admin.createUser({ phone: 'not-a-phone' });
    expect(invalid.error?.status).toBe(400);
    expect(invalid.error?.code).toBe('validation_failed');

    const anon = createClient(sandbox.url, 'some-anon-key', {
      auth: { persistSession: false, autoRefreshToken: false },
    });
    const denied = await anon.auth.admin.createUser({ phone: '+14155550133' });
    expect(denied.error?.status).toBe(403);
  });
});

describe('Supabase Auth admin deleteUser', () => {
  it('deletes the auth user, then answers user_not_found', async () => {
    const { data } = await supabase.auth.admin.createUser({ phone: '+14155550140' });
    const id = data.user?.id ?? '';

    const deleted = await supabase.auth.admin.deleteUser(id);
    expect(deleted.error).toBeNull();
    expect(await testDb.db.selectFrom('auth.users').select('id').where('id', '=', id).execute()).toEqual([]);

    const again = await supabase.auth.admin.deleteUser(id);
    expect([again.error?.status, again.error?.code]).toEqual([404, 'user_not_found']);
  });

  it('fails with "Database error deleting user" while a public row references the user, as Supabase does', async () => {
    const { data } = await supabase.auth.admin.createUser({ phone: '+14155550141' });
    const id = data.user?.id ?? '';
    await testDb.db
      .insertInto('user_profiles')
      .values({ user_id: id, first_name: 'Ada', last_name: 'Lovelace' })
      .execute();

    const refused = await supabase.auth.admin.deleteUser(id);

    expect([refused.error?.status, refused.error?.message]).toEqual([500, 'Database error deleting user']);
    expect(await testDb.db.selectFrom('auth.users').select('id').where('id', '=', id).execute()).toHaveLength(1);
  });
});
