import { randomUUID } from 'node:crypto';
import {
  type Config,
  type Db,
  SUPABASE_AUTH_EMPTY_TOKENS,
  SUPABASE_AUTH_INSTANCE_ID,
  toAuthPhone,
} from '@series-killer/shared';
import type { SupabaseClient } from '@supabase/supabase-js';
import type { NewUser } from './new-user.ts';
import { UserConflictError } from './user-errors.ts';
import { findAuthUserWithoutProfile } from './users.repository.ts';

/** Where auth users are created: Supabase Auth when configured, else `auth.users` directly. */
export interface AuthUsers {
  /** Creates the auth user and returns its id; `trx` is the transaction the profile rows go into. */
  create(trx: Db, user: NewUser): Promise<string>;
  /** Removes a user `create` made outside `trx` when the transaction failed afterwards. */
  discard(userId: string): Promise<void>;
  /**
   * Deletes an erased user's auth user, once no row references it any more. Resolves
   * 'absent' when there is none (already deleted: a rerun).
   */
  remove(userId: string): Promise<'deleted' | 'absent'>;
}

function userMetadata(user: NewUser) {
  return { first_name: user.firstName, last_name: user.lastName };
}

/**
 * Bootstrap mode: the auth user is a row in `auth.users`, written in the same transaction, as
 * Supabase Auth writes it: its token columns are read as non-null strings, so they hold ''.
 */
export function sqlAuthUsers(db: Db): AuthUsers {
  return {
    async create(trx, user) {
      const now = new Date();
      const row = await trx
        .insertInto('auth.users')
        .values({
          instance_id: SUPABASE_AUTH_INSTANCE_ID,
          id: randomUUID(),
          aud: 'authenticated',
          role: 'authenticated',
          // Supabase Auth stores phones without the leading +.
          phone: toAuthPhone(user.phone),
          email: user.email ?? null,
          ...SUPABASE_AUTH_EMPTY_TOKENS,
          raw_app_meta_data: JSON.stringify({ provider: 'phone', providers: ['phone'] }),
          raw_user_meta_data: JSON.stringify(userMetadata(user)),
          created_at: now,
          updated_at: now,
        })
        .returning('id')
        .executeTakeFirstOrThrow();
      return row.id;
    },
    async discard() {
      // Rolled back with the transaction.
    },
    async remove(userId) {
      const result = await db.deleteFrom('auth.users').where('id', '=', userId).executeTakeFirst();
      return result.numDeletedRows > 0n ? 'deleted' : 'absent';
    },
  };
}

/** Supabase mode: the Auth admin API creates the user (and owns its row in `auth.users`). */
export function supabaseAuthUsers(supabase: SupabaseClient): AuthUsers {
  return {
    async create(trx, user) {
      const { data, error } = await supabase.auth.admin.createUser({
        phone: user.phone,
        email: user.email,
        phone_confirm: false,
        user_metadata: userMetadata(user),
      });
      if (error) {
        if (error.code === 'phone_exists') {
          // A retry after a crash adopts the auth user the first attempt made.
          const orphan = await findAuthUserWithoutProfile(trx, user.phone);
          if (orphan) return orphan;
          throw new UserConflictError('phone', { cause: error });
        }
        if (error.code === 'email_exists') throw new UserConflictError('email', { cause: error });
        throw new Error(`Supabase Auth refused the user: ${error.message}`, { cause: error });
      }
      return data.user.id;
    },
    async discard(userId) {
      const { error } = await supabase.auth.admin.deleteUser(userId);
      if (error) throw new Error(`could not remove Supabase user ${userId}: ${error.message}`, { cause: error });
    },
    async remove(userId) {
      const { error } = await supabase.auth.admin.deleteUser(userId);
      if (!error) return 'deleted';
      if (error.code === 'user_not_found') return 'absent';
      throw new Error(`Supabase Auth could not delete user ${userId}: ${error.message}`, { cause: error });
    },
  };
}

/** Loaded only when Supabase Auth is configured: most deployments never need the client in memory. */
export async function authUsersFor(config: Pick<Config, 'supabase'>, db: Db): Promise<AuthUsers> {
  if (!config.supabase) return sqlAuthUsers(db);
  const { createClient } = await import('@supabase/supabase-js');
  const supabase = createClient(config.supabase.url, config.supabase.serviceRoleKey, {
    auth: { persistSession: false, autoRefreshToken: false, detectSessionInUrl: false },
  });
  return supabaseAuthUsers(supabase);
}
