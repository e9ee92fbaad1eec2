import { type MessageTransition, projectDeliveries } from '@series-killer/onboarding/delivery-projection';
import { type Db, lockMessageSids, type SmsStatusCallback } from '@series-killer/shared';
import { describeTwilioError } from '../twilio-errors/twilio-error-codes.ts';
import { appendStatusEvents } from './sms-status-events.repository.ts';

export interface AppliedCallbacks {
  /** Onboarding messages that moved. */
  transitions: MessageTransition[];
  /** The SIDs of new events whose send is not recorded yet: they wait in Postgres for it. */
  waiting: string[];
}

/**
 * Applies many status callbacks in one transaction: locks their SIDs in order, appends them to
 * the event log (duplicates collapse on its unique key) and moves each recorded delivery
 * forward with them in one statement, and lets onboarding project the moved deliveries. A
 * callback whose send is not recorded yet stays pending; the send applies it.
 */
export async function applyStatusCallbacks(db: Db, callbacks: readonly SmsStatusCallback[]): Promise<AppliedCallbacks> {
  // lockMessageSids takes them in order; the statements after it match them as a set.
  const messageSids = [...new Set(callbacks.map((c) => c.messageSid))];
  return db.transaction().execute(async (trx) => {
    await lockMessageSids(trx, messageSids);
    const { moved, waiting } = await appendStatusEvents(trx, callbacks, errorMeaningsOf(callbacks));
    const transitions = await projectDeliveries(
      trx,
      moved.map((m) => m.messageSid),
    );
    return { transitions, waiting };
  });
}

/** "<code>: <meaning>" of every error code among the callbacks, by code. */
export function errorMeaningsOf(callbacks: readonly { errorCode: number | null }[]): Record<string, string> {
  const meanings: Record<string, string> = {};
  for (const { errorCode } of callbacks) if (errorCode !== null) meanings[errorCode] = describeTwilioError(errorCode);
  return meanings;
}

/**
 * Whether Postgres refused the data itself (SQLSTATE class 22, data exception, or 23, integrity
 * violation): applying the same callback again will fail the same way.
 */
export function isRefusedData(error: unknown): boolean {
  const code = (error as { code?: unknown } | undefined)?.code;
  return typeof code === 'string' && (code.startsWith('22') || code.startsWith('23'));
}

/** How a batch went when one or more of its callbacks could not be applied. */
export interface IsolatedBatch extends AppliedCallbacks {
  /** The callbacks that failed on their own, each with its error. */
  failed: { callback: SmsStatusCallback; error: unknown }[];
}

/**
 * Applies a batch, and when its transaction fails, each callback in a transaction of its own,
 * so one bad callback never fails its neighbours. Throws when every callback failed on its
 * own too (the database is away, say): the whole job then retries.
 */
export async function applyStatusCallbacksIsolating(
  db: Db,
  callbacks: readonly SmsStatusCallback[],
): Promise<IsolatedBatch> {
  try {
    return { ...(await applyStatusCallbacks(db, callbacks)), failed: [] };
  } catch (batchError) {
    if (callbacks.length === 1) throw batchError;
    const result: IsolatedBatch = { transitions: [], waiting: [], failed: [] };
    for (const callback of callbacks) {
      try {
        const applied = await applyStatusCallbacks(db, [callback]);
        result.transitions.push(...applied.transitions);
        result.waiting.push(...applied.waiting);
      } catch (error) {
        result.failed.push({ callback, error });
      }
    }
    if (result.failed.length === callbacks.length) throw batchError;
    return result;
  }
}
