import type { Db } from '@series-killer/shared';

export interface PhoneLink {
  id: number;
  userId: string | null;
  phoneNumber: string;
  verified: boolean;
  verificationCode: string | null;
  verificationAttempts: number;
}

const linkColumns = [
  'id',
  'user_id as userId',
  'phone_number as phoneNumber',
  'verified',
  'verification_code as verificationCode',
  'verification_attempts as verificationAttempts',
] as const;

function toPhoneLink(row: {
  id: number;
  userId: string | null;
  phoneNumber: string;
  verified: boolean | null;
  verificationCode: string | null;
  verificationAttempts: number | null;
}): PhoneLink {
  return { ...row, verified: row.verified ?? false, verificationAttempts: row.verificationAttempts ?? 0 };
}

/** The user's phone link; the oldest when there are several. */
export async function findPhoneLinkByUser(db: Db, userId: string): Promise<PhoneLink | undefined> {
  const row = await db
    .selectFrom('phone_links')
    .select(linkColumns)
    .where('user_id', '=', userId)
    .orderBy('id')
    .limit(1)
    .executeTakeFirst();
  return row && toPhoneLink(row);
}

/**
 * The user a phone number is linked to, read without a lock: it tells which profile to lock
 * first. A link's owner never changes once set (claimPhoneLink keeps it).
 */
export async function findPhoneLinkOwner(db: Db, phoneNumber: string): Promise<string | undefined> {
  const row = await db
    .selectFrom('phone_links')
    .select('user_id')
    .where('phone_number', '=', phoneNumber)
    .executeTakeFirst();
  return row?.user_id ?? undefined;
}

/** The link of a phone number, locked until the transaction ends. */
export async function lockPhoneLinkByPhone(db: Db, phoneNumber: string): Promise<PhoneLink | undefined> {
  const row = await db
    .selectFrom('phone_links')
    .select(linkColumns)
    .where('phone_number', '=', phoneNumber)
    .forUpdate()
    .executeTakeFirst();
  return row && toPhoneLink(row);
}

/**
 * Links a phone number to a user: creates the link, or claims an existing link that belongs
 * to nobody. Returns the link with its owner, which is another user when the number is
 * already taken.
 */
export async function claimPhoneLink(db: Db, userId: string, phoneNumber: string): Promise<PhoneLink> {
  const row = await db
    .insertInto('phone_links')
    .values({ user_id: userId, phone_number: phoneNumber })
    .onConflict((oc) =>
      oc.column('phone_number').doUpdateSet((eb) => ({
        user_id: eb.fn.coalesce('phone_links.user_id', 'excluded.user_id'),
      })),
    )
    .returning(linkColumns)
    .executeTakeFirstOrThrow();
  return toPhoneLink(row);
}

/** Stores the hash of a newly issued code; the new code gets a fresh set of attempts. */
export async function setVerificationCode(db: Db, linkId: number, codeHash: string): Promise<void> {
  await db
    .updateTable('phone_links')
    .set({ verification_code: codeHash, verification_attempts: 0 })
    .where('id', '=', linkId)
    .execute();
}

/** Counts one wrong code; returns the attempts made on the current code. */
export async function recordWrongAttempt(db: Db, linkId: number): Promise<number> {
  const row = await db
    .updateTable('phone_links')
    .set((eb) => ({
      verification_attempts: eb(eb.fn.coalesce('verification_attempts', eb.lit(0)), '+', 1),
      last_verification_attempt: eb.fn('now'),
    }))
    .where('id', '=', linkId)
    .returning('verification_attempts')
    .executeTakeFirstOrThrow();
  return row.verification_attempts ?? 0;
}

/**
 * Records that a message was checked against the link's code; false when it already was (a
 * replay or a retry), so that one message never counts as two attempts.
 */
export async function recordCodeCheck(db: Db, linkId: number, messageSid: string): Promise<boolean> {
  const row = await db
    .insertInto('verification_code_checks')
    .values({ message_sid: messageSid, phone_link_id: linkId })
    .onConflict((oc) => oc.column('message_sid').doNothing())
    .returning('message_sid')
    .executeTakeFirst();
  return row !== undefined;
}

/** Marks the link verified and records the message that verified it. */
export async function markPhoneLinkVerified(db: Db, linkId: number, messageSid: string): Promise<void> {
  await db
    .updateTable('phone_links')
    .set((eb) => ({ verified: true, verification_code: null, last_verification_attempt: eb.fn('now') }))
    .where('id', '=', linkId)
    .execute();
  await db
    .insertInto('phone_verifications')
    .values({ phone_link_id: linkId, message_sid: messageSid })
    .onConflict((oc) => oc.column('phone_link_id').doNothing())
    .execute();
}

/** The SID of the message that verified the link, if one did (links verified otherwise have none). */
export async function findVerifyingMessageSid(db: Db, linkId: number): Promise<string | undefined> {
  const row = await db
    .selectFrom('phone_verifications')
    .select('message_sid')
    .where('phone_link_id', '=', linkId)
    .executeTakeFirst();
  return row?.message_sid;
}
