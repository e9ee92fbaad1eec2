import type { Db } from '@series-killer/shared';
import { SEND_GAVE_UP_PREFIX } from '../delivery/project-delivery-status.ts';

export type OnboardingMessageType = 'welcome' | 'verification' | 'reminder';

/** The message types that carry a verification code. */
export const CODE_MESSAGE_TYPES = ['verification', 'reminder'] as const satisfies OnboardingMessageType[];

export interface OnboardingMessage {
  id: number;
  userId: string;
  phoneNumber: string;
  messageType: OnboardingMessageType;
  /** As stored: a code-bearing text holds the mask, never the code. */
  content: string;
  status: string;
}

const messageColumns = [
  'id',
  'user_id as userId',
  'phone_number as phoneNumber',
  'message_type as messageType',
  'content',
  'status',
] as const;

function toMessage(row: {
  id: number;
  userId: string;
  phoneNumber: string;
  messageType: string;
  content: string;
  status: string | null;
}): OnboardingMessage {
  return { ...row, messageType: row.messageType as OnboardingMessageType, status: row.status ?? 'pending' };
}

export async function insertOnboardingMessage(
  db: Db,
  message: { userId: string; phoneNumber: string; messageType: OnboardingMessageType; content: string },
): Promise<OnboardingMessage> {
  const row = await db
    .insertInto('onboarding_messages')
    .values({
      user_id: message.userId,
      phone_number: message.phoneNumber,
      message_type: message.messageType,
      content: message.content,
      status: 'pending',
    })
    .returning(messageColumns)
    .executeTakeFirstOrThrow();
  return toMessage(row);
}

/** The user's messages of the given types, oldest first. */
export async function findOnboardingMessages(
  db: Db,
  userId: string,
  types: readonly OnboardingMessageType[],
): Promise<OnboardingMessage[]> {
  const rows = await db
    .selectFrom('onboarding_messages')
    .select(messageColumns)
    .where('user_id', '=', userId)
    .where('message_type', 'in', types)
    .orderBy('id')
    .execute();
  return rows.map(toMessage);
}

/**
 * Messages still `pending` whose send gave up (Twilio unreachable through every attempt) of
 * users still onboarding, oldest first: they were never sent, so they are handed over again.
 */
export async function findGaveUpMessages(db: Db, limit: number): Promise<OnboardingMessage[]> {
  const rows = await db
    .selectFrom('onboarding_messages')
    .innerJoin('user_profiles', 'user_profiles.user_id', 'onboarding_messages.user_id')
    .select([
      'onboarding_messages.id',
      'onboarding_messages.user_id as userId',
      'onboarding_messages.phone_number as phoneNumber',
      'onboarding_messages.message_type as messageType',
      'onboarding_messages.content',
      'onboarding_messages.status',
    ])
    .where((eb) => eb(eb.fn.coalesce('onboarding_messages.status', eb.val('pending')), '=', 'pending'))
    .where('onboarding_messages.error_message', 'like', `${SEND_GAVE_UP_PREFIX}%`)
    .where('user_profiles.onboarding_status', 'in', ['pending', 'sms_sent'])
    .orderBy('onboarding_messages.id')
    .limit(limit)
    .execute();
  return rows.map(toMessage);
}

/** The id of the message that carried the user's current code. */
export async function findLatestCodeMessageId(db: Db, userId: string): Promise<number | undefined> {
  const row = await db
    .selectFrom('onboarding_messages')
    .select('id')
    .where('user_id', '=', userId)
    .where('message_type', 'in', CODE_MESSAGE_TYPES)
    .orderBy('id', 'desc')
    .limit(1)
    .executeTakeFirst();
  return row?.id;
}
