import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import pg from 'pg';
import { supabaseAuthUsersDdl } from '../testing/supabase-auth-users.ts';
import { createEmptyDatabase } from '../testing/test-database.ts';
import { runMigrations } from './run-migrations.ts';

/** A non-superuser login role standing in for Supabase's `postgres` role. */
const MIGRATOR = 'sk_supabase_like_postgres';

/**
 * What a Supabase project has before our migrations run: the API roles, an auth schema owned
 * by the auth service with today's auth.users (phone without '+', generated confirmed_at),
 * auth.uid(), pgcrypto in `extensions`, and default grants of new public objects to the API roles.
 */
const SUPABASE_PIECES = `
  DO $$ BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'anon') THEN CREATE ROLE anon NOLOGIN NOINHERIT; END IF;
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'authenticated') THEN CREATE ROLE authenticated NOLOGIN NOINHERIT; END IF;
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'service_role') THEN CREATE ROLE service_role NOLOGIN NOINHERIT BYPASSRLS; END IF;
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'supabase_auth_admin') THEN CREATE ROLE supabase_auth_admin NOLOGIN; END IF;
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '${MIGRATOR}') THEN CREATE ROLE ${MIGRATOR} LOGIN NOSUPERUSER NOCREATEROLE BYPASSRLS; END IF;
  END $$;
  CREATE SCHEMA auth AUTHORIZATION supabase_auth_admin;
  ${supabaseAuthUsersDdl('auth')};
  ALTER TABLE auth.users OWNER TO supabase_auth_admin;
  CREATE FUNCTION auth.uid() RETURNS uuid LANGUAGE sql STABLE AS $fn$
    SELECT coalesce(nullif(current_setting('request.jwt.claim.sub', true), ''),
      (nullif(current_setting('request.jwt.claims', true), '')::jsonb ->> 'sub'))::uuid $fn$;
  ALTER FUNCTION auth.uid() OWNER TO supabase_auth_admin;
  GRANT USAGE ON SCHEMA auth TO ${MIGRATOR}, anon, authenticated, service_role;
  GRANT ALL ON auth.users TO ${MIGRATOR};
  GRANT EXECUTE ON FUNCTION auth.uid() TO ${MIGRATOR}, anon, authenticated, service_role;
  CREATE SCHEMA extensions;
  CREATE EXTENSION pgcrypto WITH SCHEMA extensions;
  GRANT USAGE ON SCHEMA public TO anon, authenticated, service_role;
  ALTER DEFAULT PRIVILEGES FOR ROLE ${MIGRATOR} IN SCHEMA public GRANT ALL ON TABLES TO anon, authenticated, service_role;
  ALTER DEFAULT PRIVILEGES FOR ROLE ${MIGRATOR} IN SCHEMA public GRANT ALL ON FUNCTIONS TO anon, authenticated, service_role;
  ALTER DEFAULT PRIVILEGES FOR ROLE ${MIGRATOR} IN SCHEMA public GRANT ALL ON SEQUENCES TO anon, authenticated, service_role;
`;

const AUTH_SNAPSHOT = `
  SELECT json_build_object(
    'columns', (SELECT json_agg(json_build_array(column_name, data_type, column_default) ORDER BY column_name)
                FROM information_schema.columns WHERE table_schema = 'auth' AND table_name = 'users'),
    'usersOwner', (SELECT tableowner FROM pg_tables WHERE schemaname = 'auth' AND tablename = 'users'),
    'uid', (SELECT json_build_array(md5(prosrc), proowner::regrole::text) FROM pg_proc WHERE oid = 'auth.uid()'::regprocedure),
    'schemaOwner', (SELECT nspowner::regrole::text FROM pg_namespace WHERE nspname = 'auth')
  )::text AS snapshot`;

describe('migrations on a Supabase project', () => {
  let database: Awaited<ReturnType<typeof createEmptyDatabase>>;
  let admin: pg.Client;
  let before: string;
  let result: Awaited<ReturnType<typeof runMigrations>>;

  beforeAll(async () => {
    database = await createEmptyDatabase();
    admin = new pg.Client({ connectionString: database.url });
    await admin.connect();
    await admin.query(SUPABASE_PIECES);
    await admin.query(`ALTER DATABASE ${database.name} OWNER TO ${MIGRATOR}`);
    before = (await admin.query(AUTH_SNAPSHOT)).rows[0].snapshot;
    const asMigrator = new URL(database.url);
    asMigrator.username = MIGRATOR;
    result = await runMigrations(asMigrator.toString());
  });

  afterAll(async () => {
    await admin.end();
    await database.drop();
  });

  it('apply cleanly as a non-superuser and leave what Supabase owns untouched', async () => {
    expect(result.applied.length).toBeGreaterThan(0);

    expect((await admin.query(AUTH_SNAPSHOT)).rows[0].snapshot).toBe(before);
    const superuser = await admin.query('SELECT rolsuper FROM pg_roles WHERE rolname = $1', [MIGRATOR]);
    expect(superuser.rows[0].rolsuper).toBe(false);
  });

  it('still keeps anon out although Supabase grants it every new table by default', async () => {
    await admin.query('BEGIN');
    try {
      await admin.query('SET LOCAL ROLE anon');
      await expect(admin.query('SELECT count(*) FROM public.user_profiles')).rejects.toThrow(/permission denied/);
    } finally {
      await admin.query('ROLLBACK');
    }
  });

  it('leaves anon and authenticated no privilege on the identity sequences, nor on those of later tables', async () => {
    const asMigrator = new URL(database.url);
    asMigrator.username = MIGRATOR;
    const migrator = new pg.Client({ connectionString: asMigrator.toString() });
    await migrator.connect();
    try {
      await migrator.query('BEGIN');
      // A table a later migration could add, created by the same role.
      await migrator.query('CREATE TABLE public.later_table (id bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY)');
      const { rows } = await migrator.query(
        `SELECT c.oid::regclass::text AS sequence, r.rolname AS role
           FROM pg_class c CROSS JOIN (VALUES ('anon'), ('authenticated')) AS r(rolname)
          WHERE c.relkind = 'S' AND c.relnamespace = 'public'::regnamespace
            AND (has_sequence_privilege(r.rolname, c.oid, 'USAGE') OR has_sequence_privilege(r.rolname, c.oid, 'UPDATE')
                 OR has_sequence_privilege(r.rolname, c.oid, 'SELECT'))`,
      );
      expect(rows).toEqual([]);
      const sequences = await migrator.query(
        `SELECT count(*)::int AS n FROM pg_class WHERE relkind = 'S' AND relnamespace = 'public'::regnamespace`,
      );
      expect(sequences.rows[0].n).toBeGreaterThan(5);
    } finally {
      await migrator.query('ROLLBACK');
      await migrator.end();
    }
  });

  it('creates integration test users with a phone stored the Supabase way', async () => {
    await admin.query('BEGIN');
    try {
      await admin.query('SET LOCAL ROLE service_role');
      const id = '5b0f0a4e-8d1e-4c39-9a57-3f0c2f0b2a11';
      const created = await admin.query('SELECT public.create_integration_test_user($1, $2, $3) AS result', [
        id,
        '+19713364433',
        'test@integration.test',
      ]);
      expect(created.rows[0].result).toEqual({ user_id: id, status: 'created' });
      await admin.query('RESET ROLE');
      const row = await admin.query('SELECT phone, confirmed_at FROM auth.users WHERE id = $1', [id]);
      expect(row.rows[0]).toEqual({ phone: '19713364433', confirmed_at: null });
    } finally {
      await admin.query('ROLLBACK');
    }
  });
});
