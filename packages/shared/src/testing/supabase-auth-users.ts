/**
 * Today's `auth.users` of Supabase Auth, as its own migrations leave it (github.com/supabase/auth,
 * `migrations/*.up.sql` applied in order at commit bc32168, 2026-08-20), for tests that stand in
 * for a Supabase project or compare the plain-Postgres stand-in with it. `schema` names where
 * the table goes.
 */
export function supabaseAuthUsersDdl(schema: string): string {
  return `
    CREATE TABLE ${schema}.users (
      instance_id uuid,
      id uuid NOT NULL PRIMARY KEY,
      aud varchar(255),
      role varchar(255),
      email varchar(255),
      encrypted_password varchar(255),
      email_confirmed_at timestamptz,
      invited_at timestamptz,
      confirmation_token varchar(255),
      confirmation_sent_at timestamptz,
      recovery_token varchar(255),
      recovery_sent_at timestamptz,
      email_change_token_new varchar(255),
      email_change varchar(255),
      email_change_sent_at timestamptz,
      last_sign_in_at timestamptz,
      raw_app_meta_data jsonb,
      raw_user_meta_data jsonb,
      is_super_admin boolean,
      created_at timestamptz,
      updated_at timestamptz,
      phone text UNIQUE DEFAULT NULL::character varying,
      phone_confirmed_at timestamptz,
      phone_change text DEFAULT ''::character varying,
      phone_change_token varchar(255) DEFAULT ''::character varying,
      phone_change_sent_at timestamptz,
      confirmed_at timestamptz GENERATED ALWAYS AS (LEAST(email_confirmed_at, phone_confirmed_at)) STORED,
      email_change_token_current varchar(255) DEFAULT ''::character varying,
      email_change_confirm_status smallint DEFAULT 0 CHECK (email_change_confirm_status >= 0 AND email_change_confirm_status <= 2),
      banned_until timestamptz,
      reauthentication_token varchar(255) DEFAULT ''::character varying,
      reauthentication_sent_at timestamptz,
      is_sso_user boolean NOT NULL DEFAULT false,
      deleted_at timestamptz,
      is_anonymous boolean NOT NULL DEFAULT false
    )`;
}

/**
 * The columns Supabase Auth reads into non-null Go strings (its `models.User`): NULL in any of
 * them makes its queries on that user fail.
 */
export const SUPABASE_AUTH_STRING_COLUMNS = [
  'aud',
  'role',
  'confirmation_token',
  'recovery_token',
  'email_change_token_current',
  'email_change_token_new',
  'email_change',
  'phone_change_token',
  'phone_change',
  'reauthentication_token',
] as const;
