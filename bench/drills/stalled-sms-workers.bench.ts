// Stalled SMS workers: a batch of sends through SMS worker processes (compiled, as `npm start`
// runs them) while the sandbox holds every Twilio request in flight longer than a job's lock,
// and the workers are frozen (SIGSTOP) past that lock, then thawed (SIGCONT). Jobs whose lock
// ran out run again on the other worker while their first run still waits on Twilio; each send
// must still reach Twilio exactly once.
import { startSandbox } from '@series-killer/sandbox';
import {
  addJob,
  closeQueues,
  createLogger,
  createQueues,
  createRedisConnection,
  JOB_LOCK_DURATION_MS,
  SANDBOX_DEFAULTS,
} from '@series-killer/shared';
import {
  createTestConfig,
  createTestDatabase,
  createTestQueuePrefix,
  deleteQueuePrefix,
} from '@series-killer/shared/testing';
import { startPipeline } from '../lib/pipeline.ts';
import type { BenchResult } from '../lib/results.ts';

const SENDS = Number(process.env.BENCH_STALLED_SENDS ?? 100);
/** Every Twilio REST request is held this long: longer than a job's lock. */
const TWILIO_LATENCY_MS = JOB_LOCK_DURATION_MS + 2_000;
/** How long the workers stay frozen each time: past the lock, so their jobs are taken as stalled. */
const STALL_MS = JOB_LOCK_DURATION_MS + 3_000;
const STALLS = 3;
/** Time between two stalls, while sends are in flight. */
const BETWEEN_STALLS_MS = 4_000;
const FINISH_TIMEOUT_MS = 300_000;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function stalledSmsWorkers(): Promise<BenchResult> {
  const sandbox = await startSandbox({
    accountSid: SANDBOX_DEFAULTS.twilioAccountSid,
    authToken: SANDBOX_DEFAULTS.twilioAuthToken,
  });
  const testDb = await createTestDatabase();
  const prefix = createTestQueuePrefix();
  const config = createTestConfig({ DATABASE_URL: testDb.url, QUEUE_PREFIX: prefix });
  const connection = createRedisConnection(config.redis, 'worker');
  const queues = createQueues(connection, config.redis, createLogger('bench', 'warn'));
  const pipeline = await startPipeline({
    databaseUrl: testDb.url,
    queuePrefix: prefix,
    smsWorkers: 2,
    env: { TWILIO_API_BASE_URL: sandbox.url, SMS_MAX_PER_SECOND: '200' },
  });
  try {
    sandbox.setCallbackMode({ enabled: false });
    sandbox.setTwilioMode({ latencyMs: TWILIO_LATENCY_MS });
    const sends = Array.from({ length: SENDS }, (_, i) => ({
      sendKey: `drill.${prefix}.${i}`,
      to: `+1415710${String(1000 + i)}`,
      body: `Stall drill message ${i}`,
      userId: null,
    }));
    for (const send of sends) await addJob(queues, 'send-sms', send);

    const startedAt = Date.now();
    for (let stall = 0; stall < STALLS; stall += 1) {
      await sleep(BETWEEN_STALLS_MS);
      for (const worker of pipeline.smsWorkers) worker.child.kill('SIGSTOP');
      await sleep(STALL_MS);
      for (const worker of pipeline.smsWorkers) worker.child.kill('SIGCONT');
    }

    const deadline = Date.now() + FINISH_TIMEOUT_MS;
    for (;;) {
      const counts = await queues['sms-outbound'].getJobCounts('completed', 'failed');
      if ((counts.completed ?? 0) + (counts.failed ?? 0) >= SENDS || Date.now() > deadline) break;
      await sleep(250);
    }
    const finishedMs = Date.now() - startedAt;
    // A create still held by the sandbox would land after this: let any such one arrive before counting.
    await sleep(TWILIO_LATENCY_MS + 1_000);

    const perRecipient = new Map<string, number>();
    for (const message of sandbox.messages()) perRecipient.set(message.to, (perRecipient.get(message.to) ?? 0) + 1);
    const messages = sandbox.messages().length;
    const lost = sends.filter((send) => !perRecipient.has(send.to)).length;
    const duplicated = [...perRecipient.values()].filter((count) => count > 1).length;
    const recorded = await testDb.db
      .selectFrom('sms_deliveries')
      .select(['message_sid'])
      .where('message_sid', 'is not', null)
      .execute();
    const recordedSids = new Set(recorded.map((row) => row.message_sid));
    const unrecorded = sandbox.messages().filter((message) => !recordedSids.has(message.sid)).length;
    const jobs = await queues['sms-outbound'].getJobs(['completed', 'failed'], 0, -1);
    const smsPerSend = messages / SENDS;
    return {
      name: 'drill-stalled-sms-workers',
      goals: [
        { goal: 'SMS per send = 1.00', value: smsPerSend.toFixed(2), met: messages === SENDS && duplicated === 0 },
        { goal: 'lost = 0', value: lost, met: lost === 0 },
        { goal: 'every SMS recorded on its send', value: unrecorded, met: unrecorded === 0 },
      ],
      figures: {
        sends: SENDS,
        smsWorkerProcesses: pipeline.smsWorkers.length,
        twilioLatencyMs: TWILIO_LATENCY_MS,
        jobLockMs: JOB_LOCK_DURATION_MS,
        stalls: STALLS,
        stallMs: STALL_MS,
        messages,
        smsPerSend,
        duplicated,
        lost,
        unrecorded,
        jobsCompleted: jobs.filter((job) => job.finishedOn !== undefined && !job.failedReason).length,
        jobsFailed: jobs.filter((job) => job.failedReason).length,
        jobsRunAgainAfterStall: jobs.filter((job) => job.attemptsStarted > 1).length,
        sendsAdoptedOrResumed: jobs.filter((job) => (job.returnvalue as { resumed?: boolean } | null)?.resumed).length,
        finishedWithinMs: finishedMs,
        twilioRequests: sandbox.twilioRequests().length,
      },
    };
  } finally {
    await pipeline.stop();
    await closeQueues(queues);
    connection.disconnect();
    await deleteQueuePrefix(prefix);
    await testDb.drop();
    await sandbox.close();
  }
}

export const benchmarks = { 'drill-stalled-sms-workers': stalledSmsWorkers };
