import { afterAll, describe, expect, it } from '@jest/globals';
import { MAX_STATUS_CALLBACKS_PER_JOB, type SmsStatusCallback } from '@series-killer/shared';
import { fakeSid, openTestQueues } from '@series-killer/shared/testing';
import { createJobBatcher } from '../enqueue/job-batcher.ts';
import { createStatusCoalescer } from './status-coalescer.ts';

const callback = (messageSid = fakeSid('SM')): SmsStatusCallback => ({
  messageSid,
  status: 'delivered',
  errorCode: null,
  raw: { MessageSid: messageSid, MessageStatus: 'delivered' },
  receivedAt: new Date().toISOString(),
});

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('status coalescer', () => {
  const { queues, close } = openTestQueues();
  afterAll(close);

  /** The jobs carrying any of `sids`, as lists of the SIDs each carries. */
  async function jobsCarrying(sids: string[]): Promise<string[][]> {
    const jobs = await queues['sms-status'].getJobs(['wait']);
    return jobs
      .map((job) => (job.data.callbacks as SmsStatusCallback[]).map((c) => c.messageSid))
      .filter((carried) => carried.some((sid) => sids.includes(sid)));
  }

  it('puts callbacks that arrive within the window, in different event-loop turns, in one job', async () => {
    const coalescer = createStatusCoalescer(createJobBatcher(queues), { windowMs: 50 });
    const first = callback();
    const second = callback();
    const stored = [coalescer.add(first)];
    // A timer due before the window's: it runs first even when both come due in one turn.
    await pause(5);
    stored.push(coalescer.add(second));
    await Promise.all(stored);
    expect(await jobsCarrying([first.messageSid, second.messageSid])).toEqual([[first.messageSid, second.messageSid]]);
  });

  it('starts a new job for a callback that comes after the window closed', async () => {
    const coalescer = createStatusCoalescer(createJobBatcher(queues), { windowMs: 5 });
    const first = callback();
    const second = callback();
    await coalescer.add(first);
    await coalescer.add(second);
    expect((await jobsCarrying([first.messageSid, second.messageSid])).sort()).toEqual(
      [[first.messageSid], [second.messageSid]].sort(),
    );
  });

  it('stores a job at once when its target number of callbacks came, without waiting for the window', async () => {
    // A window longer than the test's timeout: the test fails unless a job goes once it holds its target.
    const coalescer = createStatusCoalescer(createJobBatcher(queues), { windowMs: 600_000, target: 3 });
    const callbacks = Array.from({ length: 6 }, () => callback());
    await Promise.all(callbacks.map((c) => coalescer.add(c)));
    const jobs = await jobsCarrying(callbacks.map((c) => c.messageSid));
    expect(jobs.map((sids) => sids.length)).toEqual([3, 3]);
  });

  it('never puts more callbacks in a job than one carries', async () => {
    const coalescer = createStatusCoalescer(createJobBatcher(queues), {
      windowMs: 600_000,
      target: MAX_STATUS_CALLBACKS_PER_JOB + 100,
    });
    const callbacks = Array.from({ length: MAX_STATUS_CALLBACKS_PER_JOB }, () => callback());
    await Promise.all(callbacks.map((c) => coalescer.add(c)));
    const jobs = await jobsCarrying(callbacks.map((c) => c.messageSid));
    expect(jobs.map((sids) => sids.length)).toEqual([MAX_STATUS_CALLBACKS_PER_JOB]);
  });

  it('fails the requests of a job the job catalogue refuses, and keeps taking callbacks', async () => {
    const coalescer = createStatusCoalescer(createJobBatcher(queues), { windowMs: 5 });
    const refused = coalescer.add({ ...callback(), receivedAt: 'not a time' });
    await expect(refused).rejects.toThrow();
    const accepted = callback();
    await coalescer.add(accepted);
    expect(await jobsCarrying([accepted.messageSid])).toEqual([[accepted.messageSid]]);
  });
});
