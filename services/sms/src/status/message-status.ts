import type { SmsStatus } from '@series-killer/shared';
import { sql } from 'kysely';

/**
 * The status an onboarding message can have, in the only order it may move:
 * pending < sent < delivered < failed. Failed ranks last so that an error (one segment
 * undelivered) is never erased by a later success.
 */
export const MESSAGE_STATUS_ORDER = ['pending', 'sent', 'delivered', 'failed'] as const;
export type MessageStatus = (typeof MESSAGE_STATUS_ORDER)[number];

/**
 * The message status a Twilio status callback leads to, or undefined when it says nothing
 * about an outbound message. Twilio's early states (accepted, queued, sending, …) all mean
 * "with Twilio", which a message already is once its SID is known, so they never move a row
 * past `sent`.
 */
export function messageStatusFor(status: SmsStatus): MessageStatus | undefined {
  switch (status) {
    case 'accepted':
    case 'scheduled':
    case 'queued':
    case 'sending':
    case 'sent':
      return 'sent';
    case 'delivered':
    case 'read':
      return 'delivered';
    case 'undelivered':
    case 'failed':
    case 'canceled':
      return 'failed';
    case 'receiving':
    case 'received':
      return undefined;
  }
}

/** The rank of a status column in SQL (a null status is the seed's default, pending). */
export function statusRank(column: string) {
  return sql<number>`array_position(array['pending', 'sent', 'delivered', 'failed']::text[], coalesce(${sql.ref(column)}, 'pending'))`;
}

export function rankOf(status: MessageStatus): number {
  return MESSAGE_STATUS_ORDER.indexOf(status) + 1;
}
