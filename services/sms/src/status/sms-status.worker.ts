import type { Db, JobHandlers } from '@series-killer/shared';
import type { Job } from 'bullmq';
import { countTransitions, type SmsMetrics } from '../metrics/sms-metrics.ts';
import { pruneEventLogs } from '../retention/prune-event-logs.ts';
import { applySmsStatus } from './apply-sms-status.ts';

/** Whether this run is the job's last chance before it fails for good. */
function isLastAttempt(job: Job): boolean {
  return job.attemptsMade + 1 >= (job.opts.attempts ?? 1);
}

export function smsStatusHandlers(deps: {
  db: Db;
  metrics: SmsMetrics;
  /** EVENT_RETENTION in milliseconds. */
  eventRetentionMs: number;
}): JobHandlers<'sms-status'> {
  return {
    'apply-sms-status': async (data, job) => {
      const result = await applySmsStatus(
        deps.db,
        {
          messageSid: data.messageSid,
          status: data.status,
          errorCode: data.errorCode,
          raw: data.raw,
          receivedAt: new Date(data.receivedAt),
        },
        { lastAttempt: isLastAttempt(job) },
      );
      if (result.outcome === 'orphaned') {
        if (result.newlyOrphaned) deps.metrics.orphanEvents.inc();
        return { outcome: 'orphaned' };
      }
      countTransitions(deps.metrics, result.transitions);
      return { outcome: 'applied', transitions: result.transitions.length };
    },
    'prune-event-logs': () => pruneEventLogs(deps.db, { retentionMs: deps.eventRetentionMs }),
  };
}
