import { type AuthUsers, type Db, SUPABASE_AUTH_EMPTY_TOKENS, SUPABASE_AUTH_INSTANCE_ID } from '@series-killer/shared';
import type { Selectable } from 'kysely';

export interface NewAuthUser {
  id: string;
  email: string | null;
  /** Supabase's form: E.164 digits without the `+`. */
  phone: string | null;
  emailConfirmedAt: Date | null;
  phoneConfirmedAt: Date | null;
  appMetadata: Record<string, unknown>;
  userMetadata: Record<string, unknown>;
  role: string;
}

/** Which unique column a failed insert collided on, from Postgres' unique-violation error. */
export type UniqueColumn = 'phone' | 'email' | 'id';

const USER_COLUMNS = [
  'id',
  'aud',
  'role',
  'email',
  'phone',
  'email_confirmed_at',
  'phone_confirmed_at',
  'confirmed_at',
  'raw_app_meta_data',
  'raw_user_meta_data',
  'is_anonymous',
  'created_at',
  'updated_at',
] as const;

export type AuthUserRow = Pick<Selectable<AuthUsers>, (typeof USER_COLUMNS)[number]>;

export async function insertAuthUser(db: Db, user: NewAuthUser): Promise<AuthUserRow> {
  const now = new Date();
  return db
    .insertInto('auth.users')
    .values({
      instance_id: SUPABASE_AUTH_INSTANCE_ID,
      id: user.id,
      aud: 'authenticated',
      role: user.role,
      email: user.email,
      phone: user.phone,
      email_confirmed_at: user.emailConfirmedAt,
      phone_confirmed_at: user.phoneConfirmedAt,
      ...SUPABASE_AUTH_EMPTY_TOKENS,
      raw_app_meta_data: JSON.stringify(user.appMetadata),
      raw_user_meta_data: JSON.stringify(user.userMetadata),
      created_at: now,
      updated_at: now,
    })
    .returning(USER_COLUMNS)
    .executeTakeFirstOrThrow();
}

export async function findAuthUser(db: Db, id: string): Promise<AuthUserRow | undefined> {
  return db.selectFrom('auth.users').select(USER_COLUMNS).where('id', '=', id).executeTakeFirst();
}

/** Whether a user was deleted; throws a foreign-key violation while public rows reference it. */
export async function deleteAuthUser(db: Db, id: string): Promise<boolean> {
  const result = await db.deleteFrom('auth.users').where('id', '=', id).executeTakeFirst();
  return result.numDeletedRows > 0n;
}

/** Whether an error is Postgres' foreign-key violation (SQLSTATE 23503). */
export function isForeignKeyViolation(error: unknown): boolean {
  return typeof error === 'object' && error !== null && (error as { code?: string }).code === '23503';
}

/** The column of a unique violation (SQLSTATE 23505), or undefined for any other error. */
export function uniqueViolationColumn(error: unknown): UniqueColumn | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const { code, constraint, detail } = error as { code?: string; constraint?: string; detail?: string };
  if (code !== '23505') return undefined;
  const where = `${constraint ?? ''} ${detail ?? ''}`;
  if (where.includes('phone')) return 'phone';
  if (where.includes('email')) return 'email';
  return 'id';
}
