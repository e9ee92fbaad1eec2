import { type Db, toE164 } from '@series-killer/shared';
import { claimPhoneLink, findPhoneLinkByUser, type PhoneLink } from './phone-links.repository.ts';

export type PhoneResolution = { ok: true; link: PhoneLink } | { ok: false; reason: string };

/**
 * The number to onboard: the user's phone link, else the auth user's phone (Supabase keeps
 * it without the `+`) normalised to E.164 and linked to the user.
 */
export async function resolvePhone(db: Db, userId: string): Promise<PhoneResolution> {
  const existing = await findPhoneLinkByUser(db, userId);
  if (existing) return { ok: true, link: existing };

  const authUser = await db.selectFrom('auth.users').select('phone').where('id', '=', userId).executeTakeFirst();
  if (!authUser?.phone) return { ok: false, reason: 'no phone number on the phone links or the auth user' };
  const phoneNumber = toE164(authUser.phone);
  if (!phoneNumber) return { ok: false, reason: 'the auth user phone is not a valid phone number' };

  const link = await claimPhoneLink(db, userId, phoneNumber);
  if (link.userId !== userId) return { ok: false, reason: 'the phone number is linked to another user' };
  return { ok: true, link };
}
