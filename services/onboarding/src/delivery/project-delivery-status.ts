import type { Db } from '@series-killer/shared';
import { sql } from 'kysely';

/**
 * Onboarding's view of an SMS delivery, and the only rules that move `onboarding_messages` and
 * `user_profiles` from one. The SMS service owns the delivery record (`sms_deliveries`) and
 * calls these functions inside the transaction that moved it, so the projection commits with
 * the delivery. Each move is forward only and idempotent.
 */

/** An onboarding message's status, in the only order it may move (failed last: an error is never erased). */
export const ONBOARDING_MESSAGE_STATUSES = ['pending', 'sent', 'delivered', 'failed'] as const;
export type OnboardingMessageStatus = (typeof ONBOARDING_MESSAGE_STATUSES)[number];

/**
 * How the SMS service notes on an onboarding message a send it gave up on (its retries spent);
 * onboarding's sweep finds such messages by this prefix and hands them over again.
 */
export const SEND_GAVE_UP_PREFIX = 'gave up after ';

/** The note of a send given up after `attempts` attempts, for `reason`. */
export function sendGaveUpNote(attempts: number, reason: string): string {
  return `${SEND_GAVE_UP_PREFIX}${attempts} attempts: ${reason}`;
}

/** A forward move of one onboarding message's status. */
export interface MessageTransition {
  onboardingMessageId: number;
  userId: string;
  messageType: string;
  from: OnboardingMessageStatus;
  to: OnboardingMessageStatus;
}

/** Message types whose failure fails the whole onboarding. */
const ONBOARDING_CRITICAL_TYPES = ['welcome', 'verification'];

const rank = (status: ReturnType<typeof sql>) =>
  sql<number>`array_position(array['pending', 'sent', 'delivered', 'failed']::text[], coalesce(${status}, 'pending'))`;

/**
 * Projects the delivery records of these Message SIDs onto their onboarding messages: any
 * status Twilio holds the message in means `sent` (with the SID and `sent_at`), `delivered`
 * and `read` mean `delivered`, a failure or a partial delivery means `failed` with the
 * delivery's error. Then the profiles: `sms_sent` once the welcome is sent, `failed` when the
 * welcome or verification message fails. A message that moves to `sent` or `delivered` loses
 * the note of an earlier send problem. Returns the messages that moved.
 */
export async function projectDeliveries(db: Db, messageSids: readonly string[]): Promise<MessageTransition[]> {
  if (messageSids.length === 0) return [];
  const { rows } = await sql<{
    id: string;
    user_id: string;
    message_type: string;
    previous_status: string | null;
    status: OnboardingMessageStatus;
  }>`
    with target as (
      select d.onboarding_message_id as id, d.message_sid, d.accepted_at, d.delivered_at,
        coalesce(d.error_message, d.status) as failure,
        case
          when d.status in ('delivered', 'read') then 'delivered'
          when d.status in ('partially_delivered', 'undelivered', 'failed', 'canceled') then 'failed'
          else 'sent'
        end as status
      from public.sms_deliveries d
      where d.message_sid = any(${messageSids as string[]}::text[])
        and d.onboarding_message_id is not null and d.status is not null
      order by d.onboarding_message_id
    ),
    before as (
      select om.id, om.status from public.onboarding_messages om join target using (id)
      order by om.id for update of om
    )
    update public.onboarding_messages om set
      status = target.status,
      message_sid = coalesce(om.message_sid, target.message_sid),
      sent_at = coalesce(om.sent_at, target.accepted_at, now()),
      delivered_at = case when target.status = 'delivered' then coalesce(om.delivered_at, target.delivered_at, now())
        else om.delivered_at end,
      -- A message that got through has no problem left: the note of a send that gave up, or that
      -- waited for the sender's configuration, goes with it.
      error_message = case when target.status = 'failed' then target.failure end
    from target, before
    where om.id = target.id and before.id = target.id
      and ${rank(sql.ref('before.status'))} < ${rank(sql.ref('target.status'))}
    returning om.id, om.user_id, om.message_type, before.status as previous_status, om.status
  `.execute(db);
  const transitions = rows.map(
    (row): MessageTransition => ({
      onboardingMessageId: Number(row.id),
      userId: row.user_id,
      messageType: row.message_type,
      from: (row.previous_status ?? 'pending') as OnboardingMessageStatus,
      to: row.status,
    }),
  );
  await moveProfilesAfter(db, transitions);
  return transitions;
}

/** Marks an onboarding message `failed` with the reason its send can never succeed. */
export async function failOnboardingMessage(
  db: Db,
  onboardingMessageId: number,
  errorMessage: string,
): Promise<MessageTransition | undefined> {
  const moved = await db
    .with('before', (qb) =>
      qb.selectFrom('onboarding_messages').select(['id', 'status']).where('id', '=', onboardingMessageId).forUpdate(),
    )
    .updateTable('onboarding_messages')
    .from('before')
    .set({ status: 'failed', error_message: errorMessage })
    .whereRef('onboarding_messages.id', '=', 'before.id')
    .where(sql<boolean>`coalesce(before.status, 'pending') <> 'failed'`)
    .returning([
      'onboarding_messages.id',
      'onboarding_messages.user_id',
      'onboarding_messages.message_type',
      sql<string | null>`before.status`.as('previous_status'),
    ])
    .executeTakeFirst();
  if (!moved) return undefined;
  const transition: MessageTransition = {
    onboardingMessageId: moved.id,
    userId: moved.user_id,
    messageType: moved.message_type,
    from: (moved.previous_status ?? 'pending') as OnboardingMessageStatus,
    to: 'failed',
  };
  await moveProfilesAfter(db, [transition]);
  return transition;
}

/** The profile moves that follow from message moves: forward only, one statement each. */
async function moveProfilesAfter(db: Db, transitions: MessageTransition[]): Promise<void> {
  const welcomed = transitions.filter((t) => t.to !== 'failed' && t.from === 'pending' && t.messageType === 'welcome');
  const failed = transitions.filter((t) => t.to === 'failed' && ONBOARDING_CRITICAL_TYPES.includes(t.messageType));
  if (welcomed.length > 0)
    await db
      .updateTable('user_profiles')
      .set({ onboarding_status: 'sms_sent', onboarding_sent_at: sql<Date>`now()` })
      .where('user_id', 'in', sortedUnique(welcomed.map((t) => t.userId)))
      .where('onboarding_status', '=', 'pending')
      .execute();
  if (failed.length > 0)
    await db
      .updateTable('user_profiles')
      .set({ onboarding_status: 'failed' })
      .where('user_id', 'in', sortedUnique(failed.map((t) => t.userId)))
      .where('onboarding_status', 'in', ['pending', 'sms_sent'])
      .execute();
}

function sortedUnique(values: string[]): string[] {
  return [...new Set(values)].sort();
}
