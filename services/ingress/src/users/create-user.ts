import type { Db } from '@series-killer/shared';
import type { AuthUsers } from './auth-users.ts';
import type { NewUser } from './new-user.ts';
import { UserConflictError } from './user-errors.ts';
import { insertUserRows } from './users.repository.ts';

/** Unique constraints whose violation means the phone or email is taken. */
const CONFLICTS: Record<string, UserConflictError['field']> = {
  phone_links_phone_number_key: 'phone',
  users_phone_key: 'phone',
  users_email_key: 'email',
};

function conflictOf(error: unknown): UserConflictError | undefined {
  if (error instanceof UserConflictError) return error;
  const pgError = error as { code?: string; constraint?: string };
  const field = pgError.code === '23505' && pgError.constraint ? CONFLICTS[pgError.constraint] : undefined;
  return field ? new UserConflictError(field, { cause: error }) : undefined;
}

/**
 * Creates the auth user, profile (`pending`), phone link and preferences in one
 * transaction. Throws UserConflictError when the phone or email already belongs to a user.
 */
export async function createUser(db: Db, authUsers: AuthUsers, user: NewUser): Promise<{ userId: string }> {
  let createdId: string | undefined;
  try {
    const userId = await db.transaction().execute(async (trx) => {
      createdId = await authUsers.create(trx, user);
      await insertUserRows(trx, createdId, user);
      return createdId;
    });
    return { userId };
  } catch (error) {
    const failure = conflictOf(error) ?? error;
    if (!createdId) throw failure;
    const discardFailure = await authUsers.discard(createdId).then(
      () => undefined,
      (discardError: unknown) => discardError,
    );
    if (discardFailure === undefined) throw failure;
    throw new AggregateError(
      [failure, discardFailure],
      'the user was not created, and its auth user could not be removed (a retry adopts it)',
    );
  }
}
