/** The instance Supabase Auth looks every user up in (`instance_id` of its `auth.users` rows). */
export const SUPABASE_AUTH_INSTANCE_ID = '00000000-0000-0000-0000-000000000000';

/**
 * The token columns of `auth.users` as Supabase Auth writes them for a new user: it reads them
 * into non-null strings, so a row written elsewhere must hold '' rather than NULL.
 */
export const SUPABASE_AUTH_EMPTY_TOKENS = {
  confirmation_token: '',
  recovery_token: '',
  email_change_token_current: '',
  email_change_token_new: '',
  email_change: '',
  phone_change: '',
  phone_change_token: '',
  reauthentication_token: '',
} as const;
