import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { UnrecoverableError, type Worker } from 'bullmq';
import { createLogger } from '../logging/logger.ts';
import { bullPrefix, createRedisConnection, type RedisConnection } from '../redis/redis-connection.ts';
import { createTestConfig, createTestQueuePrefix, deleteQueuePrefix, fakeSid, waitFor } from '../testing/index.ts';
import { type JobData, type JobName, QUEUE_NAMES, type QueueName, queueOfJob } from './job-catalogue.ts';
import { addJob, closeQueues, createQueues, type Queues } from './queues.ts';
import { createWorker, type JobHandlers } from './worker.ts';

const PHONE = '+14155550123';
const CALLER = '+14155550987';
const CODE = '604213';
const BODY = 'Meet me at the old mill';
const TRANSCRIPT = 'my sister knows the password';
/** What must not be left in Redis once a job is finished. */
const PERSONAL = [PHONE.slice(1), CALLER.slice(1), CODE, BODY, TRANSCRIPT];

const prefix = createTestQueuePrefix();
const config = createTestConfig({ QUEUE_PREFIX: prefix });
let producer: RedisConnection;
let connection: RedisConnection;
let queues: Queues;
let workers: Worker[];
/** Job names whose handler fails for good, as a send Twilio refuses does. */
const failing = new Set<string>();

const now = new Date().toISOString();
const callSid = fakeSid('CA');
const userId = '00000000-0000-4000-8000-000000000001';
const payloads: { [N in JobName]?: JobData<N> } = {
  'verify-code': { phoneNumber: PHONE, code: CODE, messageSid: fakeSid('SM') },
  'send-sms': {
    sendKey: `test.${fakeSid('SM')}`,
    to: PHONE,
    body: `Your code is ${CODE}`,
    storedBody: 'Your code is ******',
    userId,
  },
  'record-inbound-sms': {
    messageSid: fakeSid('SM'),
    accountSid: fakeSid('AC'),
    from: PHONE,
    to: CALLER,
    body: BODY,
    numMedia: 0,
    numSegments: 1,
    receivedAt: now,
  },
  'apply-sms-statuses': {
    callbacks: [
      {
        messageSid: fakeSid('SM'),
        status: 'delivered',
        errorCode: null,
        raw: { To: PHONE, From: CALLER, MessageStatus: 'delivered' },
        receivedAt: now,
      },
    ],
  },
  'call-started': { callSid, from: CALLER, to: PHONE, direction: 'inbound', callStatus: 'ringing', receivedAt: now },
  'call-status': {
    callSid,
    callStatus: 'completed',
    from: CALLER,
    to: PHONE,
    direction: 'inbound',
    callDuration: 30,
    sequenceNumber: 2,
    receivedAt: now,
  },
  'transcription-event': {
    callSid,
    transcriptionSid: 'GT1',
    event: 'transcription-content',
    sequenceId: 1,
    track: 'inbound_track',
    text: TRANSCRIPT,
    confidence: 0.9,
    final: true,
    receivedAt: now,
  },
  'legacy-transcription': { callSid, transcriptionSid: 'TR1', transcriptionText: TRANSCRIPT, receivedAt: now },
  'bot-turn': {
    callSid,
    sessionId: 'VX1',
    turn: 1,
    callerText: TRANSCRIPT,
    digits: '',
    botText: TRANSCRIPT,
    interrupted: false,
    actions: [],
    endedAt: now,
  },
  'summarize-call': { callSid },
};

/** Every job of a queue succeeds (or fails, when asked); a summary keeps content in its progress, as a summary in parts does. */
function handlersOf<Q extends QueueName>(queue: Q): JobHandlers<Q> {
  const names = (Object.keys(queueOfJob) as JobName[]).filter((name) => queueOfJob[name] === queue);
  const handler = async (_data: unknown, job: { name: string; updateProgress(p: object): Promise<void> }) => {
    if (job.name === 'summarize-call') await job.updateProgress({ parts: [TRANSCRIPT], sha256: 'x' });
    if (failing.has(job.name)) throw new UnrecoverableError('refused');
    return { done: true };
  };
  return Object.fromEntries(names.map((name) => [name, handler])) as unknown as JobHandlers<Q>;
}

beforeAll(async () => {
  // The test's own adds and reads wait out a slow moment of a loaded machine (the producer role gives up after 500 ms).
  producer = createRedisConnection(config.redis, 'worker');
  queues = createQueues(producer, config.redis, createLogger('test', 'silent'));
  connection = createRedisConnection(config.redis, 'worker');
  const options = { connection, redis: config.redis, logger: createLogger('test', 'silent') };
  workers = QUEUE_NAMES.map((queue) => createWorker(queue, handlersOf(queue), options));
  for (const worker of workers) void worker.run();
  await Promise.all(workers.map((worker) => worker.waitUntilReady()));
});

afterAll(async () => {
  await Promise.all(workers.map((worker) => worker.close()));
  connection.disconnect();
  await closeQueues(queues);
  producer.disconnect();
  await deleteQueuePrefix(prefix);
});

/** Adds the job, waits until it finished and its redaction is written, and returns its hash in Redis as text. */
async function finishedHash<N extends JobName>(name: N, data: JobData<N>, gone = PERSONAL): Promise<string> {
  const id = await addJob(queues, name, data, {});
  const key = `${bullPrefix(prefix)}:${queueOfJob[name]}:${id}`;
  return waitFor(`job ${name} to finish and be redacted`, async () => {
    const hash = await producer.hgetall(key);
    const finished = hash.finishedOn !== undefined && (hash.progress ?? '0') === '0';
    return finished && !gone.some((text) => JSON.stringify(hash).includes(text)) ? JSON.stringify(hash) : false;
  }).catch(async (error: unknown) => {
    throw new Error(`${name} job holds ${JSON.stringify(await producer.hgetall(key))}`, { cause: error });
  });
}

describe('a finished job in Redis', () => {
  for (const name of Object.keys(payloads) as JobName[]) {
    it(`keeps no phone number, body, code or transcript once ${name} completed`, async () => {
      const hash = await finishedHash(name, payloads[name] as JobData<typeof name>);
      for (const text of PERSONAL) expect(hash).not.toContain(text);
    });
  }

  it('keeps no verification code once a send, a check or a reply failed for good', async () => {
    failing.add('send-sms');
    failing.add('verify-code');
    failing.add('record-inbound-sms');
    const send = payloads['send-sms'] as JobData<'send-sms'>;
    const sendHash = await finishedHash('send-sms', { ...send, sendKey: `test.${fakeSid('SM')}` }, [CODE]);
    const check = payloads['verify-code'] as JobData<'verify-code'>;
    const checkHash = await finishedHash('verify-code', { ...check, messageSid: fakeSid('SM') }, [CODE]);
    const reply = payloads['record-inbound-sms'] as JobData<'record-inbound-sms'>;
    const replyHash = await finishedHash(
      'record-inbound-sms',
      { ...reply, messageSid: fakeSid('SM'), body: ` ${CODE}\n` },
      [CODE],
    );
    for (const hash of [sendHash, checkHash, replyHash]) {
      expect(hash).toContain('"failedReason":"refused"');
      expect(hash).not.toContain(CODE);
    }
  });
});
