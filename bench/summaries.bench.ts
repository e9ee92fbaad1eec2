// Summaries: completed calls with transcripts, summarised by a real summarizer process against
// the sandbox's OpenAI answering after 500 ms.
import { randomBytes } from 'node:crypto';
import { type Sandbox, startSandbox } from '@series-killer/sandbox';
import {
  addJob,
  closeQueues,
  createLogger,
  createQueues,
  createRedisConnection,
  type Db,
  SANDBOX_DEFAULTS,
} from '@series-killer/shared';
import {
  createTestConfig,
  createTestDatabase,
  createTestQueuePrefix,
  deleteQueuePrefix,
  type TestDatabase,
} from '@series-killer/shared/testing';
import { type RunningProcess, repoPath, startProcess, waitForOutput } from './lib/processes.ts';
import type { BenchResult } from './lib/results.ts';
import { round } from './lib/stats.ts';

const CALLS = Number(process.env.BENCH_SUMMARY_CALLS ?? 200);
const CONCURRENCIES = [1, 10, 50];
const OPENAI_LATENCY_MS = 500;

/** A two-party transcript of about 2,000 characters: far below the 12,000-token chunk budget. */
function transcript(n: number): string {
  const turns: string[] = [];
  for (let i = 0; i < 12; i += 1) {
    turns.push(
      i % 2 === 0
        ? `Caller: This is call ${n}; I would like to move my appointment to next week, turn ${i}.`
        : `Agent: Of course. I have Tuesday or Thursday afternoon free; which one suits you better?`,
    );
  }
  return turns.join('\n');
}

async function insertCompletedCalls(db: Db, count: number): Promise<string[]> {
  const calls = Array.from({ length: count }, (_, i) => ({
    call_sid: `CA${randomBytes(16).toString('hex')}`,
    phone_number: `+1415700${String(1000 + i)}`,
    call_status: 'completed',
    duration: 60,
    transcript: transcript(i),
  }));
  await db.insertInto('call_history').values(calls).execute();
  return calls.map((call) => call.call_sid);
}

interface SummaryRun {
  concurrency: number;
  summaries: number;
  summariesPerSecond: number;
  openaiRequestsPerCall: number;
}

/** Enqueues every call's `summarize-call`, then starts the summarizer and times it by the jobs' own timestamps. */
async function summarizeAll(sandbox: Sandbox, concurrency: number): Promise<SummaryRun> {
  const testDb: TestDatabase = await createTestDatabase();
  const prefix = createTestQueuePrefix();
  const config = createTestConfig({ DATABASE_URL: testDb.url, QUEUE_PREFIX: prefix });
  const connection = createRedisConnection(config.redis, 'worker');
  const queues = createQueues(connection, config.redis, createLogger('bench', 'warn'));
  let summarizer: RunningProcess | undefined;
  try {
    sandbox.reset();
    sandbox.setOpenAIMode({ latencyMs: OPENAI_LATENCY_MS });
    const callSids = await insertCompletedCalls(testDb.db, CALLS);
    for (const callSid of callSids) await addJob(queues, 'summarize-call', { callSid });

    summarizer = startProcess(repoPath('services/summarizer/src/main.ts'), {
      DATABASE_URL: testDb.url,
      QUEUE_PREFIX: prefix,
      WORKER_CONCURRENCY: String(concurrency),
      OPENAI_BASE_URL: `${sandbox.url}/v1`,
      LOG_LEVEL: 'info',
    });
    await waitForOutput(summarizer, 'summarizer workers started');
    const deadline = Date.now() + 60_000 + (CALLS * OPENAI_LATENCY_MS * 3) / concurrency;
    for (;;) {
      const counts = await queues.summaries.getJobCounts('completed', 'failed');
      if ((counts.completed ?? 0) + (counts.failed ?? 0) >= CALLS) break;
      if (Date.now() > deadline) throw new Error(`only ${counts.completed} of ${CALLS} calls summarised in time`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    const jobs = await queues.summaries.getJobs(['completed'], 0, -1);
    const started = Math.min(...jobs.map((job) => job.processedOn ?? Number.POSITIVE_INFINITY));
    const finished = Math.max(...jobs.map((job) => job.finishedOn ?? 0));
    const summaries = await testDb.db
      .selectFrom('call_analyses')
      .select((eb) => eb.fn.countAll<string>().as('count'))
      .executeTakeFirstOrThrow();
    return {
      concurrency,
      summaries: Number(summaries.count),
      summariesPerSecond: round((jobs.length * 1_000) / Math.max(1, finished - started)),
      openaiRequestsPerCall: round(sandbox.openaiRequests().length / CALLS, 3),
    };
  } finally {
    await summarizer?.stop();
    await closeQueues(queues);
    connection.disconnect();
    await deleteQueuePrefix(prefix);
    await testDb.drop();
  }
}

async function summariesBench(): Promise<BenchResult> {
  const sandbox = await startSandbox({
    accountSid: SANDBOX_DEFAULTS.twilioAccountSid,
    authToken: SANDBOX_DEFAULTS.twilioAuthToken,
  });
  try {
    const runs: SummaryRun[] = [];
    for (const concurrency of CONCURRENCIES) runs.push(await summarizeAll(sandbox, concurrency));
    const requestsPerCall = Math.max(...runs.map((run) => run.openaiRequestsPerCall));
    const missing = runs.reduce((sum, run) => sum + CALLS - run.summaries, 0);
    return {
      name: 'summaries',
      goals: [
        { goal: 'OpenAI requests per call = 1', value: requestsPerCall, met: requestsPerCall === 1 },
        { goal: 'every call summarised', value: missing, met: missing === 0 },
      ],
      figures: {
        calls: CALLS,
        openaiLatencyMs: OPENAI_LATENCY_MS,
        // The ceiling at each concurrency is concurrency / 0.5 s: the figures show how close the worker gets.
        summariesPerSecond: Object.fromEntries(
          runs.map((run) => [`concurrency ${run.concurrency}`, run.summariesPerSecond]),
        ),
        ceilingPerSecond: Object.fromEntries(
          runs.map((run) => [`concurrency ${run.concurrency}`, (run.concurrency * 1_000) / OPENAI_LATENCY_MS]),
        ),
        perRun: runs,
      },
    };
  } finally {
    await sandbox.close();
  }
}

export const benchmarks = { summaries: summariesBench };
