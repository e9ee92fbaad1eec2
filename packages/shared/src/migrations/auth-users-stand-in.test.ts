import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import pg from 'pg';
import { SUPABASE_AUTH_STRING_COLUMNS, supabaseAuthUsersDdl } from '../testing/supabase-auth-users.ts';
import { createTestDatabase, type TestDatabase } from '../testing/test-database.ts';

const NIL_UUID = '00000000-0000-0000-0000-000000000000';

/** A table's columns as information_schema describes them. */
const COLUMNS = `
  SELECT column_name, data_type, character_maximum_length, is_nullable, column_default, generation_expression
    FROM information_schema.columns WHERE table_schema = $1 AND table_name = 'users' ORDER BY column_name`;

/** The stand-in's deliberate differences from Supabase's table: it fills its timestamps itself. */
const STAND_IN_DEFAULTS: Record<string, string> = { created_at: 'now()', updated_at: 'now()' };

/** `DEFAULT NULL` and `DEFAULT NULL::character varying` are the same default. */
function sameDefaults(column: Record<string, unknown>): Record<string, unknown> {
  return column.column_default === 'NULL::character varying' ? { ...column, column_default: null } : column;
}

describe('the plain-Postgres auth.users', () => {
  let testDb: TestDatabase;
  let client: pg.Client;

  beforeAll(async () => {
    testDb = await createTestDatabase();
    client = new pg.Client({ connectionString: testDb.url });
    await client.connect();
  });

  afterAll(async () => {
    await client.end();
    await testDb.drop();
  });

  it("has today's Supabase Auth column set, types, nullability and defaults", async () => {
    await client.query('CREATE SCHEMA supabase_today');
    await client.query(supabaseAuthUsersDdl('supabase_today'));
    const supabase = (await client.query(COLUMNS, ['supabase_today'])).rows.map(sameDefaults);
    const standIn = (await client.query(COLUMNS, ['auth'])).rows.map((column) =>
      sameDefaults(
        STAND_IN_DEFAULTS[column.column_name] === column.column_default ? { ...column, column_default: null } : column,
      ),
    );
    expect(standIn).toEqual(supabase);
  });

  it('gets users from create_integration_test_user that Supabase Auth can find and read', async () => {
    const id = randomUUID();
    await client.query('SELECT public.create_integration_test_user($1, $2, $3)', [id, '+19713364433', null]);
    // How Supabase Auth looks a user up by phone (models.FindUserByPhoneAndAudience).
    const { rows } = await client.query(
      `SELECT * FROM auth.users
        WHERE instance_id = $1 AND phone = $2 AND aud = 'authenticated' AND is_sso_user = false`,
      [NIL_UUID, '19713364433'],
    );
    expect(rows).toHaveLength(1);
    const [user] = rows;
    for (const column of SUPABASE_AUTH_STRING_COLUMNS)
      expect([column, typeof user[column]]).toEqual([column, 'string']);
    expect(user).toMatchObject({ id, aud: 'authenticated', role: 'authenticated', confirmation_token: '' });
    expect(user.created_at).toBeInstanceOf(Date);
    expect(user.updated_at).toBeInstanceOf(Date);
  });
});
