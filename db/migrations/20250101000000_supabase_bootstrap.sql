-- Plain-Postgres stand-ins for what every Supabase project already has: the API roles,
-- the auth schema with auth.users, and auth.uid(). Each piece is created only where it is
-- absent, so on a real Supabase project (where the migrating role is no superuser and the
-- auth schema belongs to the auth service) this file changes nothing.

DO $bootstrap$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'anon') THEN
    CREATE ROLE anon NOLOGIN NOINHERIT;
  END IF;
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'authenticated') THEN
    CREATE ROLE authenticated NOLOGIN NOINHERIT;
  END IF;
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'service_role') THEN
    CREATE ROLE service_role NOLOGIN NOINHERIT BYPASSRLS;
  END IF;
END
$bootstrap$;

DO $bootstrap$
BEGIN
  IF to_regnamespace('auth') IS NULL THEN
    CREATE SCHEMA auth;
    GRANT USAGE ON SCHEMA auth TO anon, authenticated, service_role;
  END IF;

  IF to_regclass('auth.users') IS NULL THEN
    CREATE TABLE auth.users (
      instance_id uuid,
      id uuid NOT NULL PRIMARY KEY,
      aud varchar(255),
      role varchar(255),
      email varchar(255) UNIQUE,
      phone text UNIQUE DEFAULT NULL,
      email_confirmed_at timestamptz,
      phone_confirmed_at timestamptz,
      confirmed_at timestamptz GENERATED ALWAYS AS (LEAST(email_confirmed_at, phone_confirmed_at)) STORED,
      raw_app_meta_data jsonb,
      raw_user_meta_data jsonb,
      is_anonymous boolean NOT NULL DEFAULT false,
      created_at timestamptz DEFAULT now(),
      updated_at timestamptz DEFAULT now()
    );
    GRANT SELECT ON auth.users TO service_role;
  END IF;

  -- Exactly Supabase's definition: the JWT's sub, from either GUC form PostgREST has used.
  IF to_regprocedure('auth.uid()') IS NULL THEN
    CREATE FUNCTION auth.uid() RETURNS uuid
      LANGUAGE sql STABLE
      AS $fn$
        SELECT coalesce(
          nullif(current_setting('request.jwt.claim.sub', true), ''),
          (nullif(current_setting('request.jwt.claims', true), '')::jsonb ->> 'sub')
        )::uuid
      $fn$;
  END IF;
END
$bootstrap$;

-- Supabase grants every new public table, sequence and function to the API roles by default;
-- do the same here, so that RLS and explicit REVOKEs are tested as they work in production.
DO $bootstrap$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_namespace WHERE nspname IN ('supabase_functions', 'extensions', 'graphql')) THEN
    GRANT USAGE ON SCHEMA public TO anon, authenticated, service_role;
    ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT ALL ON TABLES TO anon, authenticated, service_role;
    ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT ALL ON SEQUENCES TO anon, authenticated, service_role;
    ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT ALL ON FUNCTIONS TO anon, authenticated, service_role;
  END IF;
END
$bootstrap$;
