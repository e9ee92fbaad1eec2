import type { Db, Queues } from '@series-killer/shared';
import { sql } from 'kysely';

export interface PruneOptions {
  /** Rows older than this are pruned. Milliseconds (EVENT_RETENTION). */
  retentionMs: number;
  /** Rows deleted per statement: each batch is its own short transaction. Default 1,000. */
  batchSize?: number;
  /** Batches per table per run at most; what is left waits for the next run. Default 500. */
  maxBatches?: number;
}

/** Rows pruned per log in one run. */
export interface PruneReport {
  sms_status_events: number;
  call_transcript_segments: number;
  skipped_calls: number;
}

/** Pruning job scheduler id: one schedule for the queue, however many workers upsert it. */
export const PRUNE_SCHEDULER_ID = 'event-log-pruning';

/** How often the event logs are pruned. */
const PRUNE_EVERY_MS = 60 * 60 * 1000;

/** Registers the hourly pruning (BullMQ job scheduler: one run per interval across replicas). */
export async function schedulePruning(queues: Queues): Promise<void> {
  await queues['sms-status'].upsertJobScheduler(
    PRUNE_SCHEDULER_ID,
    { every: PRUNE_EVERY_MS },
    { name: 'prune-event-logs', data: {} },
  );
}

/**
 * Deletes event-log rows older than the retention, oldest first, in batches that lock only the
 * rows they delete (and skip rows another transaction holds), so callbacks and transcripts keep
 * flowing. Never pruned, whatever their age: status events not yet applied (pending or orphaned:
 * a message's status still waits on them), transcript segments of a call whose transcript is not
 * assembled, and a skipped call whose segments are still kept (they look it up).
 */
export async function pruneEventLogs(db: Db, options: PruneOptions): Promise<PruneReport> {
  const cutoff = new Date(Date.now() - options.retentionMs);
  const batchSize = options.batchSize ?? 1_000;
  const maxBatches = options.maxBatches ?? 500;
  const inBatches = async (deleteBatch: () => Promise<bigint>): Promise<number> => {
    let total = 0;
    for (let batch = 0; batch < maxBatches; batch++) {
      const deleted = Number(await deleteBatch());
      total += deleted;
      if (deleted < batchSize) break;
    }
    return total;
  };

  const sms_status_events = await inBatches(async () => {
    const result = await db
      .deleteFrom('sms_status_events')
      .where('id', 'in', (eb) =>
        eb
          .selectFrom('sms_status_events')
          .select('id')
          .where('received_at', '<', cutoff)
          .where('applied_at', 'is not', null)
          .orderBy('received_at')
          .limit(batchSize)
          .forUpdate()
          .skipLocked(),
      )
      .executeTakeFirst();
    return result.numDeletedRows;
  });

  const call_transcript_segments = await inBatches(async () => {
    const result = await db
      .deleteFrom('call_transcript_segments')
      .where('id', 'in', (eb) =>
        eb
          .selectFrom('call_transcript_segments as segment')
          .select('segment.id')
          .where('segment.created_at', '<', cutoff)
          .where((w) =>
            w.or([
              w.exists(
                w
                  .selectFrom('call_transcriptions')
                  .select(sql`1`.as('one'))
                  .whereRef('call_transcriptions.call_sid', '=', 'segment.call_sid')
                  .where('call_transcriptions.assembled_at', 'is not', null),
              ),
              // A call kept out of call_history: its transcript is never assembled.
              w.exists(
                w
                  .selectFrom('skipped_calls')
                  .select(sql`1`.as('one'))
                  .whereRef('skipped_calls.call_sid', '=', 'segment.call_sid'),
              ),
            ]),
          )
          .orderBy('segment.created_at')
          .limit(batchSize)
          .forUpdate()
          .skipLocked(),
      )
      .executeTakeFirst();
    return result.numDeletedRows;
  });

  const skipped_calls = await inBatches(async () => {
    const result = await db
      .deleteFrom('skipped_calls')
      .where('call_sid', 'in', (eb) =>
        eb
          .selectFrom('skipped_calls as skipped')
          .select('skipped.call_sid')
          .where('skipped.created_at', '<', cutoff)
          .where((w) =>
            w.not(
              w.exists(
                w
                  .selectFrom('call_transcript_segments')
                  .select(sql`1`.as('one'))
                  .whereRef('call_transcript_segments.call_sid', '=', 'skipped.call_sid'),
              ),
            ),
          )
          .orderBy('skipped.created_at')
          .limit(batchSize)
          .forUpdate()
          .skipLocked(),
      )
      .executeTakeFirst();
    return result.numDeletedRows;
  });

  return { sms_status_events, call_transcript_segments, skipped_calls };
}
