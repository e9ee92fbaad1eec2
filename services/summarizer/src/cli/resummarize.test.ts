import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Sandbox } from '@series-killer/sandbox';
import { fakeSid } from '@series-killer/shared/testing';
import { type SummarizerTestEnv, startSummarizerTestEnv } from '../testing/summarizer-test-env.ts';
import { queueSummaries, selectCalls, waitForSummaries } from './resummarize.ts';

const run = promisify(execFile);
const repoRoot = fileURLToPath(new URL('../../../../', import.meta.url));

describe('re-summarising calls', () => {
  let sandbox: Sandbox;
  let env: SummarizerTestEnv & { sandbox: Sandbox };

  beforeAll(async () => {
    env = await startSummarizerTestEnv({}, { sandbox: true });
    sandbox = env.sandbox;
  });
  afterAll(async () => {
    await env.close();
  });

  /** A completed call whose summary never happened (as after an outage), written directly. */
  async function unsummarisedCall(): Promise<string> {
    const callSid = fakeSid('CA');
    await env.db
      .insertInto('call_history')
      .values({
        call_sid: callSid,
        phone_number: '+14155550166',
        call_status: 'completed',
        duration: 30,
        transcript: `Caller: This is call ${callSid}, please call me back.\nAssistant: Will do.`,
      })
      .execute();
    return callSid;
  }

  const requestsFor = (callSid: string) =>
    sandbox.openaiRequests().filter((body) => JSON.stringify(body.messages).includes(callSid)).length;

  const summaryOf = async (callSid: string) =>
    (
      await env.db
        .selectFrom('call_history')
        .select('summary')
        .where('call_sid', '=', callSid)
        .executeTakeFirstOrThrow()
    ).summary;

  it('summarises a call again after its job failed, without asking twice for a done one', async () => {
    const callSid = await unsummarisedCall();
    sandbox.setOpenAIMode({ failWith: 401 });
    const [jobId] = await queueSummaries(env.queues, [callSid]);
    const failed = await waitForSummaries(env.queues, [jobId as string], { timeoutMs: 15_000, pollMs: 25 });
    sandbox.setOpenAIMode({});
    expect(failed).toEqual({ total: 1, done: 0, failed: 1, pending: 0 });
    expect(await selectCalls(env.db, { missing: true })).toContain(callSid);

    const queued: string[] = [];
    const ids = await queueSummaries(env.queues, await selectCalls(env.db, { callSid }), (n, total) =>
      queued.push(`${n}/${total}`),
    );
    expect(queued).toEqual(['1/1']);
    expect(await waitForSummaries(env.queues, ids, { timeoutMs: 15_000, pollMs: 25 })).toMatchObject({ done: 1 });
    expect(await summaryOf(callSid)).toEqual(expect.any(String));
    expect(requestsFor(callSid)).toBe(2);

    const again = await queueSummaries(env.queues, [callSid]);
    expect(await waitForSummaries(env.queues, again, { timeoutMs: 15_000, pollMs: 25 })).toMatchObject({ done: 1 });
    expect(requestsFor(callSid)).toBe(2);
    expect(await selectCalls(env.db, { missing: true })).not.toContain(callSid);
  });

  it('npm run summarize -- --missing queues every call without a summary and reports progress', async () => {
    const calls = [await unsummarisedCall(), await unsummarisedCall()];
    const { stdout } = await run('./scripts/node', ['services/summarizer/src/cli/summarize.ts', '--missing'], {
      cwd: repoRoot,
      env: {
        ...process.env,
        DATABASE_URL: env.config.database.url,
        QUEUE_PREFIX: env.config.redis.queuePrefix,
        LOG_LEVEL: 'silent',
      },
    });
    expect(stdout).toContain('queued 2/2');
    expect(stdout).toContain('done 2/2, failed 0, pending 0');
    for (const callSid of calls) {
      expect(await summaryOf(callSid)).toEqual(expect.any(String));
      expect(requestsFor(callSid)).toBe(1);
    }
  });

  it('rejects a malformed call SID with usage', async () => {
    const result = run('./scripts/node', ['services/summarizer/src/cli/summarize.ts', '--call', 'nope'], {
      cwd: repoRoot,
      env: { ...process.env, DATABASE_URL: env.config.database.url, QUEUE_PREFIX: env.config.redis.queuePrefix },
    });
    await expect(result).rejects.toMatchObject({
      code: 2,
      stderr: expect.stringContaining('--call must be a Twilio Call SID'),
    });
  });
});
