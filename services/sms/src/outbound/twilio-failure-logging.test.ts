import { Writable } from 'node:stream';
import { inspect } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { startTestStack, type TestStack } from '@series-killer/sandbox/testing';
import { createLogger, type JobData } from '@series-killer/shared';
import { fakeSid, freePort, uniqueTestPhone, waitFor } from '@series-killer/shared/testing';
import { createTwilioClient } from '@series-killer/shared/twilio';
import { createTwilioMessageStatusSource } from '../reconcile/twilio-message-status.ts';
import { createTwilioMessageRedactor } from '../redaction/message-redactor.ts';
import { type SmsWorkers, type SmsWorkersConfig, startSmsWorkers } from '../start-sms-workers.ts';

// A send whose Twilio calls all fail to connect: the first run's messages.create and the next
// run's messages.list (looking for an earlier attempt) both throw the SDK's network error, which
// carries the request's Authorization header. Twilio unreachable, the job waits for it.
let stack: TestStack;
let workers: SmsWorkers;
let closedTwilio: SmsWorkersConfig['twilio'];
const lines: string[] = [];

beforeAll(async () => {
  stack = await startTestStack();
  const closedPort = await freePort();
  closedTwilio = { ...stack.config.twilio, apiBaseUrl: `http://127.0.0.1:${closedPort}` };
  const config = { ...stack.config, twilio: closedTwilio };
  const destination = new Writable({
    write(chunk, _encoding, done) {
      lines.push(chunk.toString());
      done();
    },
  });
  workers = await startSmsWorkers(config, { logger: createLogger('sms', 'debug', destination) });
  stack.onClose(workers.close);
});

afterAll(async () => {
  await stack.close();
});

describe('a Twilio call that cannot connect', () => {
  it('logs why it failed, and neither the auth token nor the Basic credentials', async () => {
    const { accountSid, authToken } = stack.config.twilio;
    const data: JobData<'send-sms'> = { sendKey: 'test.leak', to: uniqueTestPhone(), body: 'hello', userId: null };
    const job = await stack.queues['sms-outbound'].add('send-sms', data);
    await waitFor('the create and the lookup to fail', () =>
      ['Twilio message create failed', 'Twilio message list failed'].every((what) =>
        lines.some((line) => line.includes(what)),
      ),
    );

    const output = lines.join('');
    expect(output).toContain('a dependency is unreachable; the job waits for it');
    expect(output).toContain('Twilio message create failed: connect ECONNREFUSED');
    expect(output).toContain('Twilio message list failed: connect ECONNREFUSED');
    expect(output).toContain('"code":"ECONNREFUSED"');
    const basic = Buffer.from(`${accountSid}:${authToken}`).toString('base64');
    for (const secret of [authToken, basic, 'Authorization']) expect(output).not.toContain(secret);

    // What BullMQ keeps of the job in Redis is as clean.
    const waiting = await stack.queues['sms-outbound'].getJob(job.id as string);
    const stored = JSON.stringify([waiting?.data, waiting?.failedReason, waiting?.stacktrace]);
    for (const secret of [authToken, basic]) expect(stored).not.toContain(secret);
  });
});

describe('every other Twilio call that cannot connect', () => {
  const calls = {
    "the reconciler's message fetch": () =>
      createTwilioMessageStatusSource(createTwilioClient(closedTwilio)).fetchStatus(fakeSid('SM')),
    "the erasure's message redaction": () =>
      createTwilioMessageRedactor(createTwilioClient(closedTwilio)).redact(fakeSid('SM')),
  };

  it.each(Object.entries(calls))('%s fails with an error that holds no credentials', async (_name, call) => {
    const { accountSid, authToken } = stack.config.twilio;
    const error = await call().then(
      () => undefined,
      (failure: unknown) => failure,
    );
    expect(error).toBeInstanceOf(Error);
    // Everything the error holds, however it is printed: inspected whole, and as the logger writes it.
    const logged: string[] = [];
    const destination = new Writable({
      write(chunk, _encoding, done) {
        logged.push(chunk.toString());
        done();
      },
    });
    createLogger('sms', 'debug', destination).error({ err: error }, 'call failed');
    const output = `${inspect(error, { depth: null, showHidden: true })}${logged.join('')}`;
    expect(output).toContain('ECONNREFUSED');
    const basic = Buffer.from(`${accountSid}:${authToken}`).toString('base64');
    for (const secret of [authToken, basic, 'Authorization']) expect(output).not.toContain(secret);
  });
});
