import { addJob, type Db, type JobData, jobIdFor, type Queues, type SmsStatus } from '@series-killer/shared';

export interface DrainResult {
  orphans: number;
  requeued: number;
}

/**
 * Sends every status event kept as an orphan (its message was unknown for the whole retry
 * window) through the status worker again: an event whose message is now recorded is applied,
 * the rest are kept as orphans once more. The finished job of each event is removed first,
 * since its id would otherwise make the new one a duplicate.
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
  for (const orphan of orphans) {
    const data: JobData<'apply-sms-status'> = {
      messageSid: orphan.message_sid,
      status: orphan.status as SmsStatus,
      errorCode: orphan.error_code,
      raw: orphan.raw_payload as Record<string, string>,
      receivedAt: orphan.received_at.toISOString(),
    };
    const previous = await queues['sms-status'].getJob(jobIdFor['apply-sms-status'](data) ?? '');
    if (previous && ((await previous.isCompleted()) || (await previous.isFailed()))) await previous.remove();
    await addJob(queues, 'apply-sms-status', data);
    requeued += 1;
    if (requeued % 100 === 0 || requeued === orphans.length) progress(requeued, orphans.length);
  }
  return { orphans: orphans.length, requeued };
}
