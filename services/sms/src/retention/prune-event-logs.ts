import type { Db, Queues } from '@series-killer/shared';
import { type RawBuilder, sql } from 'kysely';

export interface PruneOptions {
  /** Rows older than this are pruned. Milliseconds (EVENT_RETENTION). */
  retentionMs: number;
  /** Status events never applied, whose send never appeared, older than this are pruned. Milliseconds (ORPHANED_EVENT_RETENTION). */
  orphanRetentionMs: number;
  /** Rows deleted per statement: each batch is its own short transaction. Default 1,000. */
  batchSize?: number;
  /** Batches per table per run at most; what is left waits for the next run. Default 500. */
  maxBatches?: number;
}

/** Rows pruned per log in one run. */
export interface PruneReport {
  sms_status_events: number;
  /** Status events pruned as orphans: their send never appeared. */
  orphaned_status_events: number;
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
 * flowing. A status event whose send never appeared (an orphan: a callback of a message no
 * delivery record holds, e.g. one a send recorded after its user was erased) goes after its own,
 * shorter retention: its raw payload names a number that nothing else keeps. Never pruned,
 * whatever their age: transcript segments of a call whose transcript is not assembled, and a
 * skipped call whose segments are still kept (they look it up).
 */
export async function pruneEventLogs(db: Db, options: PruneOptions): Promise<PruneReport> {
  const cutoff = new Date(Date.now() - options.retentionMs);
  const orphanCutoff = new Date(Date.now() - options.orphanRetentionMs);
  const batches = { batchSize: options.batchSize ?? 1_000, maxBatches: options.maxBatches ?? 500 };
  return {
    sms_status_events: await pruneInBatches(db, batches, {
      table: 'sms_status_events',
      key: 'id',
      age: 'received_at',
      prunable: sql`received_at < ${cutoff} and applied_at is not null`,
    }),
    orphaned_status_events: await pruneInBatches(db, batches, {
      table: 'sms_status_events',
      key: 'id',
      age: 'received_at',
      // As sms_status_events_orphans_idx covers them.
      prunable: sql`orphaned_at is not null and applied_at is null and received_at < ${orphanCutoff}`,
    }),
    call_transcript_segments: await pruneInBatches(db, batches, {
      table: 'call_transcript_segments',
      key: 'id',
      age: 'created_at',
      // The transcript now lives in call_history.transcript, or never will (a skipped call).
      prunable: sql`created_at < ${cutoff} and (
        exists (select 1 from call_transcriptions t
                where t.call_sid = call_transcript_segments.call_sid and t.assembled_at is not null)
        or exists (select 1 from skipped_calls s where s.call_sid = call_transcript_segments.call_sid))`,
    }),
    skipped_calls: await pruneInBatches(db, batches, {
      table: 'skipped_calls',
      key: 'call_sid',
      age: 'created_at',
      prunable: sql`created_at < ${cutoff} and not exists (
        select 1 from call_transcript_segments g where g.call_sid = skipped_calls.call_sid)`,
    }),
  };
}

/** One log's pruning rule: which rows may go, oldest first by `age`. */
interface PruneRule {
  table: 'sms_status_events' | 'call_transcript_segments' | 'skipped_calls';
  key: string;
  age: string;
  prunable: RawBuilder<unknown>;
}

/** Deletes `batchSize` prunable rows per statement until fewer remain or `maxBatches` ran; returns how many. */
async function pruneInBatches(
  db: Db,
  { batchSize, maxBatches }: { batchSize: number; maxBatches: number },
  rule: PruneRule,
): Promise<number> {
  const table = sql.table(rule.table);
  const key = sql.ref(rule.key);
  let total = 0;
  for (let batch = 0; batch < maxBatches; batch++) {
    const result = await sql`delete from ${table} where ${key} in (
        select ${key} from ${table} where ${rule.prunable}
        order by ${sql.ref(rule.age)} limit ${batchSize} for update skip locked)`.execute(db);
    const deleted = Number(result.numAffectedRows ?? 0n);
    total += deleted;
    if (deleted < batchSize) break;
  }
  return total;
}
