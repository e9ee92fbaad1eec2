import type { Db, JobHandlers, Logger, Queues } from '@series-killer/shared';
import { prepareJob } from '@series-killer/shared';
import { UnrecoverableError } from 'bullmq';
import { countTransitions, type SmsMetrics } from '../metrics/sms-metrics.ts';
import { type MessageStatusSource, reconcileDeliveries } from '../reconcile/reconcile-deliveries.ts';
import { pruneEventLogs } from '../retention/prune-event-logs.ts';
import {
  type AppliedCallbacks,
  applyStatusCallbacks,
  applyStatusCallbacksIsolating,
  isRefusedData,
} from './apply-status-callbacks.ts';
import { createStatusBatches } from './status-batches.ts';

export interface SmsStatusWorkerDeps {
  db: Db;
  queues: Queues;
  metrics: SmsMetrics;
  logger: Logger;
  /** Where the reconciler asks Twilio about a message. */
  source: MessageStatusSource;
  /** `SMS_RECONCILE_AFTER` in milliseconds. */
  reconcileAfterMs: number;
  /** `EVENT_RETENTION` in milliseconds. */
  eventRetentionMs: number;
  /** `ORPHANED_EVENT_RETENTION` in milliseconds. */
  orphanedEventRetentionMs: number;
}

export function smsStatusHandlers(deps: SmsStatusWorkerDeps): JobHandlers<'sms-status'> {
  const count = <T extends AppliedCallbacks>(applied: T): T => {
    countTransitions(deps.metrics, applied.transitions);
    deps.metrics.orphanEvents.inc(applied.waiting.length);
    return applied;
  };
  // The status jobs this process runs at once share their transactions.
  const batches = createStatusBatches({
    applyTogether: async (callbacks) => count(await applyStatusCallbacks(deps.db, callbacks)),
    applyIsolating: async (callbacks) => count(await applyStatusCallbacksIsolating(deps.db, callbacks)),
  });
  return {
    'apply-sms-statuses': async ({ callbacks }) => {
      const share = await batches.apply(callbacks).catch((error: unknown) => {
        const [only] = callbacks;
        if (only && callbacks.length === 1 && isRefusedData(error))
          throw new UnrecoverableError(
            `status callback ${only.messageSid} ${only.status} can never be applied: ${(error as Error).message}`,
          );
        throw error;
      });
      // Each callback that failed alone becomes a job of its own, which retries and, should it
      // keep failing, fails by itself with its reason in the dashboard; this job is done.
      if (share.failed.length > 0) {
        const alone = share.failed.map(({ callback }) => prepareJob('apply-sms-statuses', { callbacks: [callback] }));
        await deps.queues['sms-status'].addBulk(
          alone.map((job) => ({ name: job.name, data: job.data, opts: job.opts })),
        );
        deps.logger.warn(
          { callbacks: share.failed.length, err: share.failed[0]?.error },
          'status callbacks set apart from their batch',
        );
      }
      return {
        applied: callbacks.length - share.failed.length,
        waiting: share.waiting,
        setApart: share.failed.length,
        transaction: share.batch,
      };
    },
    'reconcile-sms-deliveries': async () => {
      const result = await reconcileDeliveries(deps, { afterMs: deps.reconcileAfterMs });
      count(result);
      if (result.unanswered.length > 0)
        deps.logger.warn(
          { unanswered: result.unanswered.length, err: result.unanswered[0] },
          'Twilio did not answer about some messages',
        );
      return { checked: result.checked, transitions: result.transitions.length, unanswered: result.unanswered.length };
    },
    'prune-event-logs': () =>
      pruneEventLogs(deps.db, { retentionMs: deps.eventRetentionMs, orphanRetentionMs: deps.orphanedEventRetentionMs }),
  };
}
