import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { SUPABASE_AUTH_STRING_COLUMNS } from '@series-killer/shared/testing';
import { sql } from 'kysely';
import { type IngressHarness, startIngressHarness } from '../testing/ingress-harness.ts';

const TOKEN = 'internal-token-0123456789';
const NIL_UUID = '00000000-0000-0000-0000-000000000000';

describe('POST /api/users without Supabase Auth configured', () => {
  let h: IngressHarness;
  beforeAll(async () => {
    h = await startIngressHarness({ INTERNAL_API_TOKEN: TOKEN });
  });
  afterAll(async () => {
    await h.close();
  });

  it('writes an auth user that Supabase Auth can find by phone and read', async () => {
    const response = await fetch(`${h.ingress.url}/api/users`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${TOKEN}` },
      body: JSON.stringify({ phone: '+14155550142', firstName: 'Grace', lastName: 'Hopper' }),
    });
    expect(response.status).toBe(201);
    const { userId } = (await response.json()) as { userId: string };

    // How Supabase Auth looks a user up by phone (models.FindUserByPhoneAndAudience).
    const { rows } = await sql<Record<string, unknown>>`
      SELECT * FROM auth.users
       WHERE instance_id = ${NIL_UUID} AND phone = '14155550142' AND aud = 'authenticated' AND is_sso_user = false`.execute(
      h.testDb.db,
    );
    expect(rows.map((row) => row.id)).toEqual([userId]);
    const [user] = rows;
    for (const column of SUPABASE_AUTH_STRING_COLUMNS)
      expect([column, typeof user?.[column]]).toEqual([column, 'string']);
    expect(user).toMatchObject({ role: 'authenticated', email_change: '', recovery_token: '' });
    expect(user?.created_at).toBeInstanceOf(Date);
  });
});
