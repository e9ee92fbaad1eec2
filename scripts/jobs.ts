// npm run jobs -- counts | failed [queue] [--limit N] | retry <queue> [--id ID …] | drain-orphans
import { parseArgs } from 'node:util';
import {
  closeQueues,
  createDb,
  createLogger,
  createQueues,
  createRedisConnection,
  loadCommandConfig,
  QUEUE_NAMES,
  type QueueName,
} from '@series-killer/shared';
import { drainOrphanStatusEvents } from './operations/drain-orphan-events.ts';
import { countJobs, formatCounts, listFailedJobs } from './operations/queue-report.ts';
import { retryFailedJobs } from './operations/retry-failed-jobs.ts';

const USAGE = `usage: npm run jobs -- <command>
  counts                         job counts of every queue by state
  failed [queue] [--limit N]     failed jobs with the reason each failed (default 50 per queue)
  retry <queue> [--id ID …]      move failed jobs back to waiting (all of the queue, or the given ids)
  drain-orphans                  send status events kept as orphans through the status worker again`;

function queueName(value: string | undefined): QueueName | undefined {
  if (value === undefined) return undefined;
  if ((QUEUE_NAMES as readonly string[]).includes(value)) return value as QueueName;
  console.error(`unknown queue "${value}"; queues: ${QUEUE_NAMES.join(', ')}`);
  process.exit(2);
}

const { positionals, values } = parseArgs({
  allowPositionals: true,
  options: { limit: { type: 'string' }, id: { type: 'string', multiple: true } },
});
const [command, queueArg] = positionals;

const config = loadCommandConfig(['database', 'redis']);
const connection = createRedisConnection(config.redis, 'worker');
const queues = createQueues(connection, config.redis, createLogger('jobs', config.logLevel));

try {
  switch (command) {
    case 'counts':
      console.log(formatCounts(await countJobs(queues)));
      break;
    case 'failed': {
      const failed = await listFailedJobs(queues, queueName(queueArg), Number(values.limit ?? 50));
      if (failed.length === 0) console.log('no failed jobs');
      for (const job of failed) {
        console.log(
          `${job.queue}  ${job.id}  ${job.name}  attempts=${job.attempts}  ${job.failedAt ?? ''}\n    ${job.reason}`,
        );
      }
      break;
    }
    case 'retry': {
      const queue = queueName(queueArg);
      if (!queue) throw new Error('retry needs a queue name');
      const retried = await retryFailedJobs(queues, queue, values.id ?? [], (done, total) =>
        console.log(`retried ${done}/${total}`),
      );
      console.log(`${retried} job(s) moved back to waiting on ${queue}`);
      break;
    }
    case 'drain-orphans': {
      const db = createDb({ url: config.database.url, poolSize: 2 }, 'series-killer-jobs');
      try {
        const result = await drainOrphanStatusEvents(db, queues, (done, total) =>
          console.log(`requeued ${done}/${total}`),
        );
        console.log(
          result.orphans === 0
            ? 'no orphan status events'
            : `${result.requeued} orphan event(s) requeued; \`npm run jobs -- counts\` shows them draining`,
        );
      } finally {
        await db.destroy();
      }
      break;
    }
    default:
      console.error(USAGE);
      process.exitCode = 2;
  }
} finally {
  await closeQueues(queues);
  connection.disconnect();
}
