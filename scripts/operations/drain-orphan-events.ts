import {
  addJob,
  type Db,
  MAX_STATUS_CALLBACKS_PER_JOB,
  type Queues,
  type SmsStatus,
  type SmsStatusCallback,
} from '@series-killer/shared';

export interface DrainResult {
  orphans: number;
  requeued: number;
}

/**
 * Sends every status event still waiting for its send through the status worker again, in
 * batches: an event whose message is now recorded is applied, the rest keep waiting. (The
 * send applies the events waiting for it, so this is for events whose send was recorded by
 * other means, such as a restored backup.)
 */
export async function drainOrphanStatusEvents(
  db: Db,
  queues: Queues,
  progress: (done: number, total: number) => void,
): Promise<DrainResult> {
  const orphans = await db
    .selectFrom('sms_status_events')
    .select(['message_sid', 'status', 'error_code', 'raw_payload', 'received_at'])
    .where('orphaned_at', 'is not', null)
    .where('applied_at', 'is', null)
    .orderBy('received_at')
    .execute();
  let requeued = 0;
  for (let start = 0; start < orphans.length; start += MAX_STATUS_CALLBACKS_PER_JOB) {
    const callbacks = orphans.slice(start, start + MAX_STATUS_CALLBACKS_PER_JOB).map(
      (orphan): SmsStatusCallback => ({
        messageSid: orphan.message_sid,
        status: orphan.status as SmsStatus,
        errorCode: orphan.error_code,
        raw: orphan.raw_payload as SmsStatusCallback['raw'],
        receivedAt: orphan.received_at.toISOString(),
      }),
    );
    await addJob(queues, 'apply-sms-statuses', { callbacks });
    requeued += callbacks.length;
    progress(requeued, orphans.length);
  }
  return { orphans: orphans.length, requeued };
}
