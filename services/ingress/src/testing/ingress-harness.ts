import type { Sandbox } from '@series-killer/sandbox';
import { startTestStack, type TestStack } from '@series-killer/sandbox/testing';
import type { Config, QueueName, Queues } from '@series-killer/shared';
import type { TestDatabase } from '@series-killer/shared/testing';
import twilio from 'twilio';
import { type RunningIngress, type StartIngressOptions, startIngress } from '../start-ingress.ts';

/** A running ingress on its own database and queue prefix, with queues to inspect what it enqueued. */
export interface IngressHarness {
  config: Config;
  ingress: RunningIngress;
  testDb: TestDatabase;
  /** The sandbox, when asked for: its drivers post to this ingress, and it is the ingress's Supabase Auth. */
  sandbox?: Sandbox;
  /** Queues on a connection of the test's own, for reading jobs. */
  queues: Queues;
  /** Signs `params` as Twilio would for `path` under PUBLIC_BASE_URL and posts them. */
  postSigned(path: string, params: Record<string, string>, headers?: Record<string, string>): Promise<Response>;
  /** Errors the inspection queues reported (a test pointed at a Redis that is down sees them). */
  queueErrors: Error[];
  /** How many jobs a queue holds in any state. */
  jobCount(queue: QueueName): Promise<number>;
  close(): Promise<void>;
}

export function twilioSignature(config: Config, path: string, params: Record<string, string>): string {
  return twilio.getExpectedTwilioSignature(config.twilio.authToken, config.http.publicBaseUrl + path, params);
}

export async function startIngressHarness(
  env: Record<string, string | undefined> = {},
  options: { sandbox?: boolean; ingress?: StartIngressOptions } = {},
): Promise<IngressHarness> {
  const stack: TestStack = await startTestStack({ env, sandbox: options.sandbox ? { supabaseAuth: true } : false });
  const { config, queues } = stack;
  const ingress = await startIngress(config, options.ingress);
  stack.onClose(ingress.close);

  return {
    config,
    ingress,
    testDb: stack.testDb,
    sandbox: stack.sandbox,
    queues,
    queueErrors: stack.queueErrors,
    postSigned: (path, params, headers = {}) =>
      fetch(ingress.url + path, {
        method: 'POST',
        headers: { 'X-Twilio-Signature': twilioSignature(config, path, params), ...headers },
        body: new URLSearchParams(params),
      }),
    async jobCount(queue) {
      const counts = await queues[queue].getJobCounts();
      return Object.values(counts).reduce((sum, count) => sum + count, 0);
    },
    close: () => stack.close(),
  };
}
