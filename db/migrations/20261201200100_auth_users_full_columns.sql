-- The plain-Postgres stand-in of auth.users gets every column of today's Supabase Auth
-- auth.users, so that a row written here is one Supabase Auth can read (it reads the token
-- columns into non-null strings, and created_at/updated_at as times). Only the stand-in, the
-- table these migrations created and own, is changed: Supabase's own table (owned by its
-- auth service) is never altered.

DO $auth_users$
BEGIN
  IF (SELECT tableowner FROM pg_tables WHERE schemaname = 'auth' AND tablename = 'users') = current_user THEN
    ALTER TABLE auth.users
      ADD COLUMN IF NOT EXISTS encrypted_password varchar(255),
      ADD COLUMN IF NOT EXISTS invited_at timestamptz,
      ADD COLUMN IF NOT EXISTS confirmation_token varchar(255),
      ADD COLUMN IF NOT EXISTS confirmation_sent_at timestamptz,
      ADD COLUMN IF NOT EXISTS recovery_token varchar(255),
      ADD COLUMN IF NOT EXISTS recovery_sent_at timestamptz,
      ADD COLUMN IF NOT EXISTS email_change_token_new varchar(255),
      ADD COLUMN IF NOT EXISTS email_change varchar(255),
      ADD COLUMN IF NOT EXISTS email_change_sent_at timestamptz,
      ADD COLUMN IF NOT EXISTS last_sign_in_at timestamptz,
      ADD COLUMN IF NOT EXISTS is_super_admin boolean,
      ADD COLUMN IF NOT EXISTS phone_change text DEFAULT ''::character varying,
      ADD COLUMN IF NOT EXISTS phone_change_token varchar(255) DEFAULT ''::character varying,
      ADD COLUMN IF NOT EXISTS phone_change_sent_at timestamptz,
      ADD COLUMN IF NOT EXISTS email_change_token_current varchar(255) DEFAULT ''::character varying,
      ADD COLUMN IF NOT EXISTS email_change_confirm_status smallint DEFAULT 0
        CHECK (email_change_confirm_status >= 0 AND email_change_confirm_status <= 2),
      ADD COLUMN IF NOT EXISTS banned_until timestamptz,
      ADD COLUMN IF NOT EXISTS reauthentication_token varchar(255) DEFAULT ''::character varying,
      ADD COLUMN IF NOT EXISTS reauthentication_sent_at timestamptz,
      ADD COLUMN IF NOT EXISTS is_sso_user boolean NOT NULL DEFAULT false,
      ADD COLUMN IF NOT EXISTS deleted_at timestamptz;
  END IF;
END
$auth_users$;

-- Users made by SQL as Supabase Auth makes them: the nil-UUID instance it looks users up in,
-- '' rather than NULL in every token column, and explicit timestamps (Supabase's table has no
-- defaults for them).
CREATE OR REPLACE FUNCTION public.create_integration_test_user(p_id uuid, p_phone text, p_email text)
  RETURNS json
  LANGUAGE plpgsql
  SECURITY DEFINER
  SET search_path = ''
  AS $fn$
DECLARE
  v_phone text := nullif(ltrim(p_phone, '+'), '');
BEGIN
  IF p_id IS NULL THEN
    RAISE EXCEPTION 'create_integration_test_user: p_id is required' USING ERRCODE = '22004';
  END IF;

  INSERT INTO auth.users (instance_id, id, aud, role, phone, email,
                          confirmation_token, recovery_token, email_change_token_current, email_change_token_new,
                          email_change, phone_change, phone_change_token, reauthentication_token,
                          raw_app_meta_data, raw_user_meta_data, created_at, updated_at)
  VALUES ('00000000-0000-0000-0000-000000000000', p_id, 'authenticated', 'authenticated', v_phone, p_email,
          '', '', '', '', '', '', '', '',
          '{"provider": "phone", "providers": ["phone"]}'::jsonb, '{}'::jsonb, now(), now())
  ON CONFLICT (id) DO NOTHING;

  IF FOUND THEN
    RETURN json_build_object('user_id', p_id, 'status', 'created');
  END IF;
  RETURN json_build_object('user_id', p_id, 'status', 'exists');
END
$fn$;
