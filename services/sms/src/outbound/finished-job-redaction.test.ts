import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { addJob, createLogger, maskPhone } from '@series-killer/shared';
import { uniqueTestPhone, waitFor } from '@series-killer/shared/testing';
import { Registry } from 'prom-client';
import { type SmsWorkers, startSmsWorkers } from '../start-sms-workers.ts';
import { type SmsHarness, startSmsHarness } from '../testing/sms-harness.ts';

let h: SmsHarness;
let workers: SmsWorkers;
const logLines: string[] = [];

beforeAll(async () => {
  h = await startSmsHarness({ ingress: false, workers: false });
  h.sandbox.setCallbackMode({ enabled: false });
  const logger = createLogger('sms', 'info', { write: (line: string) => void logLines.push(line) });
  workers = await startSmsWorkers(h.config, { logger, registry: new Registry() });
});

afterAll(async () => {
  await workers.close();
  await h.close();
});

describe('the outbound queue once its jobs completed', () => {
  it('redacts a send and leaves a Twilio redaction job as it is, without an error', async () => {
    const erasure = await h.testDb.db
      .insertInto('user_erasures')
      .values({ erased_user_id: randomUUID(), redact_at_twilio: true })
      .returning('id')
      .executeTakeFirstOrThrow();
    const redactionJobId = await addJob(h.queues, 'redact-message-bodies', { erasureId: erasure.id });
    const redaction = await waitFor('the redaction job to complete', async () => {
      const job = await h.queues['sms-outbound'].getJob(redactionJobId ?? '');
      return job?.finishedOn ? job : undefined;
    });
    expect(redaction.returnvalue).toEqual({ redacted: 0, notFound: 0, failed: 0 });

    // Completed after the redaction job: once its redaction is written, the redaction job's ran too.
    const to = uniqueTestPhone();
    const sendJobId = await addJob(h.queues, 'send-sms', {
      sendKey: `test.${randomUUID()}`,
      to,
      body: 'Hi',
      userId: null,
    });
    const send = await waitFor('the send to be redacted', async () => {
      const job = await h.queues['sms-outbound'].getJob(sendJobId ?? '');
      return job?.data.to === maskPhone(to) ? job : undefined;
    });
    expect(send.data.body).toBeUndefined();
    expect((await h.queues['sms-outbound'].getJob(redactionJobId ?? ''))?.data).toEqual({ erasureId: erasure.id });
    const errors = logLines.filter((line) => /"level":(40|50|60)/.test(line));
    expect(errors).toEqual([]);
  });
});
