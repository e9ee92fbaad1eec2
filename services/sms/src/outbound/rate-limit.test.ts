import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { addJob } from '@series-killer/shared';
import { uniqueTestPhone, waitFor } from '@series-killer/shared/testing';
import { type SmsHarness, startSmsHarness } from '../testing/sms-harness.ts';

const MAX_PER_SECOND = 2;
/** Time between a job's start (what the limiter spaces) and its request reaching the sandbox may vary by this much. */
const START_TO_REQUEST_ALLOWANCE_MS = 50;

let h: SmsHarness;

beforeAll(async () => {
  h = await startSmsHarness({ ingress: false, env: { SMS_MAX_PER_SECOND: String(MAX_PER_SECOND) } });
  h.sandbox.setCallbackMode({ enabled: false });
});

afterAll(async () => {
  await h.close();
});

describe('the outbound rate limit', () => {
  it('spreads sends from one sender at least 1/rate apart', async () => {
    // Warm up first: a process's first sends also open its database and HTTP connections.
    for (const key of ['warm-up.1', 'warm-up.2']) {
      await addJob(h.queues, 'send-sms', { sendKey: key, to: uniqueTestPhone(), body: key, userId: null });
    }
    await waitFor('the warm-up sends', () => h.sandbox.messages().length === 2);
    const count = 5;
    for (let i = 0; i < count; i += 1) {
      await addJob(h.queues, 'send-sms', {
        sendKey: `rate.${i}`,
        to: uniqueTestPhone(),
        body: `message ${i}`,
        userId: null,
      });
    }
    const received = await waitFor('every message to reach the sandbox', () => {
      const messages = h.sandbox.messages().filter((message) => message.body.startsWith('message'));
      return messages.length === count
        ? messages.map((message) => message.receivedAt).sort((a, b) => a - b)
        : undefined;
    });
    const gaps = received.slice(1).map((at, index) => at - (received[index] ?? at));
    const interval = 1_000 / MAX_PER_SECOND;
    for (const gap of gaps) expect(gap).toBeGreaterThanOrEqual(interval - START_TO_REQUEST_ALLOWANCE_MS);
    expect((received.at(-1) ?? 0) - (received[0] ?? 0)).toBeGreaterThanOrEqual(
      (count - 1) * interval - START_TO_REQUEST_ALLOWANCE_MS,
    );
  });
});
