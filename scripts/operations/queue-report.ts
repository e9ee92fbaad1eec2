import { QUEUE_NAMES, type QueueName, type Queues } from '@series-killer/shared';

const STATES = ['waiting', 'active', 'delayed', 'prioritized', 'completed', 'failed'] as const;

export type QueueCounts = Record<QueueName, Record<(typeof STATES)[number], number>>;

/** Job counts of every queue by state. */
export async function countJobs(queues: Queues): Promise<QueueCounts> {
  const entries = await Promise.all(
    QUEUE_NAMES.map(async (name) => [name, await queues[name].getJobCounts(...STATES)] as const),
  );
  return Object.fromEntries(entries) as QueueCounts;
}

export function formatCounts(counts: QueueCounts): string {
  const header = ['queue', ...STATES];
  const rows = Object.entries(counts).map(([queue, byState]) => [queue, ...STATES.map((s) => String(byState[s] ?? 0))]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] as string).length)));
  const line = (cells: string[]) => cells.map((cell, i) => cell.padEnd(widths[i] as number)).join('  ');
  return [line(header), ...rows.map(line)].join('\n');
}

export interface FailedJob {
  queue: QueueName;
  id: string;
  name: string;
  attempts: number;
  reason: string;
  failedAt?: string;
}

/** The most recent failed jobs of one queue or all, with the reason each failed. */
export async function listFailedJobs(queues: Queues, queue?: QueueName, limit = 50): Promise<FailedJob[]> {
  const names = queue ? [queue] : [...QUEUE_NAMES];
  const perQueue = await Promise.all(
    names.map(async (name) => {
      const jobs = await queues[name].getFailed(0, limit - 1);
      return jobs.map((job) => ({
        queue: name,
        id: job.id ?? '',
        name: job.name,
        attempts: job.attemptsMade,
        reason: job.failedReason,
        failedAt: job.finishedOn ? new Date(job.finishedOn).toISOString() : undefined,
      }));
    }),
  );
  return perQueue.flat();
}
