import { type RunningIngress, startIngress } from '@series-killer/ingress';
import type { Sandbox } from '@series-killer/sandbox';
import { startTestStack } from '@series-killer/sandbox/testing';
import type { Config, Queues } from '@series-killer/shared';
import type { TestDatabase } from '@series-killer/shared/testing';
import { type SmsWorkers, startSmsWorkers } from '../start-sms-workers.ts';

/** The whole SMS path of one test file: database, queues, sandbox, ingress and (optionally) the workers. */
export interface SmsHarness {
  testDb: TestDatabase;
  prefix: string;
  config: Config;
  /** The environment the config was read from, for a worker run as a child process. */
  env: Record<string, string>;
  sandbox: Sandbox;
  ingress: RunningIngress | undefined;
  workers: SmsWorkers | undefined;
  queues: Queues;
  close(): Promise<void>;
}

export async function startSmsHarness({
  env: overrides = {},
  ingress: withIngress = true,
  workers: withWorkers = true,
}: {
  env?: Record<string, string>;
  ingress?: boolean;
  workers?: boolean;
} = {}): Promise<SmsHarness> {
  const stack = await startTestStack({ sandbox: true, env: { SMS_MAX_PER_SECOND: '100', ...overrides } });
  const ingress = withIngress ? await startIngress(stack.config) : undefined;
  if (ingress) stack.onClose(ingress.close);
  const workers = withWorkers ? await startSmsWorkers(stack.config) : undefined;
  if (workers) stack.onClose(workers.close);
  const { testDb, prefix, config, env, sandbox, queues } = stack;
  return { testDb, prefix, config, env, sandbox, ingress, workers, queues, close: () => stack.close() };
}
