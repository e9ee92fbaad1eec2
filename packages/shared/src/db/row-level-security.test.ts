import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import pg from 'pg';
import { createTestDatabase, type TestDatabase } from '../testing/test-database.ts';

const USER_TABLES = [
  'phone_links',
  'preferences',
  'call_history',
  'sms_history',
  'user_profiles',
  'onboarding_messages',
  'sms_status_events',
  'sms_opt_outs',
  'call_transcriptions',
  'call_transcript_segments',
  'call_analyses',
] as const;

/** One row in every public table for a user (:user, :phone, :call and :message are filled in). */
const SEED_ROWS = [
  'INSERT INTO public.phone_links (user_id, phone_number) VALUES (:user, :phone)',
  "INSERT INTO public.preferences (user_id, voice_preference) VALUES (:user, 'alice')",
  "INSERT INTO public.user_profiles (user_id, first_name, last_name) VALUES (:user, 'First', 'Last')",
  "INSERT INTO public.call_history (user_id, phone_number, call_sid, call_status) VALUES (:user, :phone, :call, 'completed')",
  "INSERT INTO public.sms_history (user_id, phone_number, message_sid, direction, content) VALUES (:user, :phone, :message, 'inbound', 'hi')",
  "INSERT INTO public.onboarding_messages (user_id, phone_number, message_type, content) VALUES (:user, :phone, 'welcome', 'Welcome')",
  "INSERT INTO public.sms_status_events (user_id, message_sid, status, raw_payload, received_at) VALUES (:user, :message, 'sent', '{}', now())",
  'INSERT INTO public.sms_opt_outs (user_id, phone_number, opted_out) VALUES (:user, :phone, false)',
  'INSERT INTO public.call_transcriptions (user_id, call_sid) VALUES (:user, :call)',
  "INSERT INTO public.call_transcript_segments (user_id, call_sid, track, sequence, text) VALUES (:user, :call, 'inbound_track', 2, 'hello')",
  `INSERT INTO public.call_analyses (user_id, call_sid, model, transcript_sha256, summary, sentiment, follow_up_needed)
     VALUES (:user, :call, 'gpt-4o-mini', 'x', 'A call.', 'neutral', false)`,
];

async function seedUser(client: pg.Client, id: string, n: number): Promise<void> {
  const phone = `+1555000000${n}`;
  const hex = id.replace(/-/g, '');
  await client.query('SELECT public.create_integration_test_user($1, $2, null)', [id, phone]);
  const values: Record<string, string> = { user: id, phone, call: `CA${hex}`, message: `SM${hex}` };
  for (const statement of SEED_ROWS) {
    const params: string[] = [];
    const text = statement.replace(/:(user|phone|call|message)\b/g, (_, name: string) => {
      params.push(values[name] ?? '');
      return `$${params.length}`;
    });
    await client.query(text, params);
  }
}

describe('row level security', () => {
  let testDb: TestDatabase;
  let client: pg.Client;
  const userA = randomUUID();
  const userB = randomUUID();

  /** Runs `fn` as an API role, with `sub` as the JWT subject, rolled back afterwards. */
  async function as<T>(role: string, sub: string | null, fn: () => Promise<T>): Promise<T> {
    await client.query('BEGIN');
    try {
      await client.query(`SET LOCAL ROLE ${role}`);
      if (sub) await client.query("SELECT set_config('request.jwt.claims', $1, true)", [JSON.stringify({ sub })]);
      return await fn();
    } finally {
      await client.query('ROLLBACK');
    }
  }

  beforeAll(async () => {
    testDb = await createTestDatabase();
    client = new pg.Client({ connectionString: testDb.url });
    await client.connect();
    await seedUser(client, userA, 1);
    await seedUser(client, userB, 2);
  });

  afterAll(async () => {
    await client.end();
    await testDb.drop();
  });

  it.each(USER_TABLES)('authenticated sees exactly its own rows of %s', async (table) => {
    const rows = await as('authenticated', userA, () => client.query(`SELECT user_id FROM public.${table}`));
    expect(rows.rows.map((r) => r.user_id)).toEqual([userA]);
  });

  it.each(USER_TABLES)('anon is refused %s', async (table) => {
    await as('anon', null, () =>
      expect(client.query(`SELECT count(*) FROM public.${table}`)).rejects.toThrow(/permission denied/),
    );
  });

  it.each(USER_TABLES)('service_role sees every row of %s', async (table) => {
    const rows = await as('service_role', null, () => client.query(`SELECT user_id FROM public.${table}`));
    expect(rows.rows.map((r) => r.user_id).sort()).toEqual([userA, userB].sort());
  });

  it('authenticated may upsert its own preferences only', async () => {
    const own = await as('authenticated', userA, () =>
      client.query(
        `INSERT INTO public.preferences (user_id, voice_preference) VALUES ($1, 'Polly.Joanna')
         ON CONFLICT (user_id) DO UPDATE SET voice_preference = excluded.voice_preference RETURNING voice_preference`,
        [userA],
      ),
    );
    expect(own.rows[0].voice_preference).toBe('Polly.Joanna');

    await as('authenticated', userA, () =>
      expect(
        client.query(`INSERT INTO public.preferences (user_id, voice_preference) VALUES ($1, 'x')`, [userB]),
      ).rejects.toThrow(/row-level security/),
    );
    const updated = await as('authenticated', userA, () =>
      client.query(`UPDATE public.preferences SET voice_preference = 'x' WHERE user_id = $1`, [userB]),
    );
    expect(updated.rowCount).toBe(0);
  });

  it('authenticated may write only voice_preference of its own preferences row', async () => {
    for (const column of ['id', 'user_id', 'created_at', 'updated_at']) {
      const value = column === 'id' ? '1' : column === 'user_id' ? `'${userA}'` : 'now()';
      await as('authenticated', userA, () =>
        expect(
          client.query(`UPDATE public.preferences SET ${column} = ${value} WHERE user_id = $1`, [userA]),
        ).rejects.toThrow(/permission denied/),
      );
    }
    await as('authenticated', userA, () =>
      expect(
        client.query(`INSERT INTO public.preferences (id, user_id, voice_preference) VALUES (999, $1, 'x')`, [userA]),
      ).rejects.toThrow(/permission denied/),
    );
    const fresh = randomUUID();
    await client.query('SELECT public.create_integration_test_user($1, null, null)', [fresh]);
    const inserted = await as('authenticated', fresh, () =>
      client.query(`INSERT INTO public.preferences (user_id, voice_preference) VALUES ($1, 'Polly.Amy') RETURNING id`, [
        fresh,
      ]),
    );
    expect(inserted.rowCount).toBe(1);
  });

  it('anon and authenticated hold no privilege on any public sequence', async () => {
    const { rows } = await client.query(
      `SELECT c.oid::regclass::text AS sequence, r.rolname AS role, p.privilege
         FROM pg_class c
         CROSS JOIN (VALUES ('anon'), ('authenticated')) AS r(rolname)
         CROSS JOIN (VALUES ('USAGE'), ('SELECT'), ('UPDATE')) AS p(privilege)
        WHERE c.relkind = 'S' AND c.relnamespace = 'public'::regnamespace
          AND has_sequence_privilege(r.rolname, c.oid, p.privilege)`,
    );
    expect(rows).toEqual([]);
    await as('authenticated', userA, () =>
      expect(client.query(`SELECT setval(pg_get_serial_sequence('public.preferences', 'id'), 1)`)).rejects.toThrow(
        /permission denied/,
      ),
    );
  });

  it('authenticated cannot write, delete or truncate anything else', async () => {
    await as('authenticated', userA, () =>
      expect(
        client.query(`UPDATE public.user_profiles SET first_name = 'x' WHERE user_id = $1`, [userA]),
      ).rejects.toThrow(/permission denied/),
    );
    await as('authenticated', userA, () =>
      expect(client.query('TRUNCATE public.sms_history CASCADE')).rejects.toThrow(/permission denied/),
    );
    await as('authenticated', userA, () =>
      expect(client.query('DELETE FROM public.preferences')).rejects.toThrow(/permission denied/),
    );
  });

  it('create_integration_test_user runs for the backend and is refused to anon and authenticated', async () => {
    const id = randomUUID();
    const created = await as('service_role', null, () =>
      client.query('SELECT public.create_integration_test_user($1, $2, $3) AS result', [
        id,
        '19713364433',
        'it@test.dev',
      ]),
    );
    expect(created.rows[0].result).toEqual({ user_id: id, status: 'created' });
    for (const role of ['anon', 'authenticated']) {
      await as(role, userA, () =>
        expect(
          client.query('SELECT public.create_integration_test_user($1, $2, $3)', [randomUUID(), '1', 'x@y.z']),
        ).rejects.toThrow(/permission denied for function create_integration_test_user/),
      );
    }
  });

  it('create_integration_test_user is security definer with a fixed search_path', async () => {
    const { rows } = await client.query(
      `SELECT prosecdef, proconfig FROM pg_proc WHERE oid = 'public.create_integration_test_user(uuid, text, text)'::regprocedure`,
    );
    expect(rows[0]).toEqual({ prosecdef: true, proconfig: ['search_path=""'] });
  });
});
