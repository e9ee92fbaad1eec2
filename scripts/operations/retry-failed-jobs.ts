import type { QueueName, Queues } from '@series-killer/shared';

/**
 * Moves failed jobs of a queue back to waiting: the given ids, or every failed job.
 * Reports progress after each batch.
 */
export async function retryFailedJobs(
  queues: Queues,
  queue: QueueName,
  ids: string[],
  progress: (done: number, total: number) => void,
): Promise<number> {
  const target = queues[queue];
  const jobs = ids.length > 0 ? await Promise.all(ids.map((id) => target.getJob(id))) : await target.getFailed();
  const failed = [];
  for (const job of jobs) {
    if (job && (await job.isFailed())) failed.push(job);
  }
  let done = 0;
  for (const job of failed) {
    await job.retry('failed');
    done += 1;
    if (done % 100 === 0 || done === failed.length) progress(done, failed.length);
  }
  return done;
}
