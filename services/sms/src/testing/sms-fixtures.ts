import { createHash, randomUUID } from 'node:crypto';
import type { Db } from '@series-killer/shared';
import { uniqueTestPhone } from '@series-killer/shared/testing';
import { sql } from 'kysely';
import { claimDelivery } from '../deliveries/sms-deliveries.repository.ts';
import { recordAcceptedMessage } from '../outbound/outbound-messages.repository.ts';

/** An auth user with a profile and a phone link, as onboarding leaves them. */
export async function createUser(
  db: Db,
  { phoneNumber = uniqueTestPhone(), onboardingStatus = 'pending' } = {},
): Promise<{ userId: string; phoneNumber: string }> {
  const userId = randomUUID();
  await sql`select public.create_integration_test_user(${userId}::uuid, ${phoneNumber}, ${null})`.execute(db);
  await db
    .insertInto('user_profiles')
    .values({ user_id: userId, first_name: 'Ada', last_name: 'Lovelace', onboarding_status: onboardingStatus })
    .execute();
  await db.insertInto('phone_links').values({ user_id: userId, phone_number: phoneNumber }).execute();
  return { userId, phoneNumber };
}

/** A pending onboarding message, as onboarding creates it before enqueuing its send. */
export async function createOnboardingMessage(
  db: Db,
  user: { userId: string; phoneNumber: string },
  messageType: 'welcome' | 'verification' | 'reminder' = 'welcome',
): Promise<number> {
  const row = await db
    .insertInto('onboarding_messages')
    .values({
      user_id: user.userId,
      phone_number: user.phoneNumber,
      message_type: messageType,
      content: `${messageType} message`,
      status: 'pending',
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  return row.id;
}

export async function readOnboardingMessage(db: Db, id: number) {
  return db
    .selectFrom('onboarding_messages')
    .select(['status', 'message_sid', 'sent_at', 'delivered_at', 'error_message'])
    .where('id', '=', id)
    .executeTakeFirstOrThrow();
}

export async function readProfileStatus(db: Db, userId: string): Promise<string> {
  const row = await db
    .selectFrom('user_profiles')
    .select(['onboarding_status'])
    .where('user_id', '=', userId)
    .executeTakeFirstOrThrow();
  return row.onboarding_status;
}

/** A send claimed and accepted by Twilio under `messageSid`, recorded as the SMS worker records it. */
export async function recordAcceptedSend(
  db: Db,
  user: { userId: string; phoneNumber: string },
  messageSid: string,
  onboardingMessageId?: number,
) {
  const delivery = await claimDelivery(
    db,
    {
      sendKey: `test.${messageSid}`,
      to: user.phoneNumber,
      sender: '+15005550006',
      bodySha256: createHash('sha256').update('Hi Ada').digest('hex'),
      userId: user.userId,
      onboardingMessageId,
    },
    { owner: 'test', ms: 60_000 },
  );
  return recordAcceptedMessage(db, {
    deliveryId: delivery.id,
    messageSid,
    to: user.phoneNumber,
    userId: user.userId,
    content: 'Hi Ada',
    reconcileAfterMs: 600_000,
  });
}
