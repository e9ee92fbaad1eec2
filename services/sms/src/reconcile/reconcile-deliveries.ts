import type { Db, Queues, SmsStatus, SmsStatusCallback } from '@series-killer/shared';
import { SMS_STATUSES } from '@series-killer/shared';
import { takeDeliveriesToReconcile } from '../deliveries/sms-deliveries.repository.ts';
import { type AppliedCallbacks, applyStatusCallbacks } from '../status/apply-status-callbacks.ts';

/** What Twilio says about one message now. */
export interface FetchedMessageStatus {
  status: string;
  errorCode: number | null;
}

/** The product's narrow view of Twilio's message fetch (`messages(sid).fetch()`). */
export interface MessageStatusSource {
  fetchStatus(messageSid: string): Promise<FetchedMessageStatus>;
}

export interface ReconcileOptions {
  /** How long after Twilio accepted a message it is first asked about, in ms (`SMS_RECONCILE_AFTER`). */
  afterMs: number;
  /** Messages asked about per run: the run's request budget. Default 100. */
  limit?: number;
  /** After how long since acceptance a message is given up on, in ms. Default 24 h. */
  horizonMs?: number;
}

/**
 * 24 hours: Twilio gives up on a message it could not hand to the carrier within its validity
 * period (at most 36,000 s, 10 h), so a message still without a final status a day later will
 * never get one.
 */
export const RECONCILE_HORIZON_MS = 24 * 60 * 60_000;
/** Fetches per run: at the default 1-minute interval, at most 100 requests a minute. */
export const RECONCILE_REQUESTS_PER_RUN = 100;

export interface ReconcileResult extends AppliedCallbacks {
  checked: number;
  /** Why Twilio could not tell us about some messages this time (each is asked again at its next check). */
  unanswered: unknown[];
}

/**
 * Asks Twilio about the deliveries still without a final status whose check is due, and
 * applies what it says through the same forward-only path as a callback (the event log's
 * unique key makes an answer already known by callback a no-op).
 */
export async function reconcileDeliveries(
  deps: { db: Db; source: MessageStatusSource; now?: () => Date },
  options: ReconcileOptions,
): Promise<ReconcileResult> {
  const due = await takeDeliveriesToReconcile(deps.db, {
    limit: options.limit ?? RECONCILE_REQUESTS_PER_RUN,
    afterMs: options.afterMs,
    horizonMs: options.horizonMs ?? RECONCILE_HORIZON_MS,
  });
  const callbacks: SmsStatusCallback[] = [];
  const unanswered: unknown[] = [];
  for (const { messageSid } of due) {
    try {
      const answer = await deps.source.fetchStatus(messageSid);
      if (!isSmsStatus(answer.status)) continue;
      callbacks.push({
        messageSid,
        status: answer.status,
        errorCode: answer.errorCode,
        raw: {
          MessageSid: messageSid,
          MessageStatus: answer.status,
          ...(answer.errorCode === null ? {} : { ErrorCode: String(answer.errorCode) }),
          Source: 'reconciler',
        },
        receivedAt: (deps.now?.() ?? new Date()).toISOString(),
      });
    } catch (error) {
      // Its next check is already booked; one unanswered fetch must not stop the others.
      unanswered.push(error);
    }
  }
  const applied =
    callbacks.length > 0 ? await applyStatusCallbacks(deps.db, callbacks) : { transitions: [], waiting: [] };
  return { ...applied, checked: due.length, unanswered };
}

function isSmsStatus(status: string): status is SmsStatus {
  return (SMS_STATUSES as readonly string[]).includes(status);
}

/** The reconciler's job scheduler: one per queue, so one run per interval across every replica. */
export const RECONCILE_SCHEDULER_ID = 'reconcile-sms-deliveries';

export async function scheduleReconciler(queues: Queues, everyMs: number): Promise<void> {
  await queues['sms-status'].upsertJobScheduler(
    RECONCILE_SCHEDULER_ID,
    { every: everyMs },
    { name: 'reconcile-sms-deliveries', data: {} },
  );
}
