import { once } from 'node:events';
import { parseArgs } from 'node:util';
import {
  closeQueues,
  createDb,
  createLogger,
  createQueues,
  createRedisConnection,
  loadCommandConfig,
  twilioSidPattern,
} from '@series-killer/shared';
import { queueSummaries, type ResummarizeSelection, selectCalls, waitForSummaries } from './resummarize.ts';

const USAGE = `usage: npm run summarize -- --call CA… | --missing [--timeout-seconds 600]
  --call CA…            summarise one call again (a transcript already summarised is not sent again)
  --missing             summarise every completed call that has a transcript but no summary
  --timeout-seconds N   how long to wait for the jobs to finish (default 600)`;

function parseSelection(): { selection: ResummarizeSelection; timeoutMs: number } {
  const { values } = parseArgs({
    options: {
      call: { type: 'string' },
      missing: { type: 'boolean', default: false },
      'timeout-seconds': { type: 'string', default: '600' },
    },
  });
  const timeoutSeconds = Number(values['timeout-seconds']);
  if (!Number.isFinite(timeoutSeconds) || timeoutSeconds <= 0)
    throw new Error('--timeout-seconds must be a positive number');
  if ((values.call === undefined) === !values.missing) throw new Error('give exactly one of --call or --missing');
  if (values.call !== undefined && !twilioSidPattern('CA').test(values.call))
    throw new Error('--call must be a Twilio Call SID (CA followed by 32 hex digits)');
  const selection: ResummarizeSelection = values.call !== undefined ? { callSid: values.call } : { missing: true };
  return { selection, timeoutMs: timeoutSeconds * 1_000 };
}

let args: ReturnType<typeof parseSelection>;
try {
  args = parseSelection();
} catch (error) {
  console.error(`${error instanceof Error ? error.message : String(error)}\n${USAGE}`);
  process.exit(2);
}

const config = loadCommandConfig(['database', 'redis']);
const db = createDb(config.database, 'series-killer-summarize-cli');
const redis = createRedisConnection(config.redis, 'producer');
await once(redis, 'ready', { signal: AbortSignal.timeout(5_000) });
const queues = createQueues(redis, config.redis, createLogger('summarize', config.logLevel));

try {
  const callSids = await selectCalls(db, args.selection);
  if (callSids.length === 0) {
    console.log('no calls to summarise');
  } else {
    const jobIds = await queueSummaries(queues, callSids, (queued, total) => console.log(`queued ${queued}/${total}`));
    const progress = await waitForSummaries(queues, jobIds, {
      timeoutMs: args.timeoutMs,
      onProgress: (p) => console.log(`done ${p.done}/${p.total}, failed ${p.failed}, pending ${p.pending}`),
    });
    if (progress.pending > 0)
      console.error(`gave up waiting with ${progress.pending} still pending (they stay queued)`);
    if (progress.failed > 0) console.error('failed jobs keep their reason: see the summaries queue in /admin/queues');
    process.exitCode = progress.failed > 0 || progress.pending > 0 ? 1 : 0;
  }
} finally {
  await closeQueues(queues);
  await redis.quit();
  await db.destroy();
}
