import { randomUUID } from 'node:crypto';
import type { Sandbox } from '@series-killer/sandbox';
import { startTestStack } from '@series-killer/sandbox/testing';
import type { Config, Db, Queues } from '@series-killer/shared';
import { type StartSummarizerWorkersOptions, type SummarizerWorkers, startSummarizerWorkers } from '../index.ts';

export interface SummarizerTestEnv {
  config: Config;
  db: Db;
  /** Producer-side queues, for adding jobs and reading their state. */
  queues: Queues;
  workers: SummarizerWorkers;
  /** The sandbox, when asked for: the config's OpenAI and Twilio APIs, posting to PUBLIC_BASE_URL. */
  sandbox: Sandbox | undefined;
  close(): Promise<void>;
}

export interface SummarizerTestEnvOptions {
  /** Start the sandbox and point the config's OpenAI and Twilio APIs at it. Default false. */
  sandbox?: boolean;
  /** Options of the summarizer's workers. Default none. */
  workers?: StartSummarizerWorkersOptions;
}

/** A fresh database and queue prefix with the summarizer's workers running on them. */
export function startSummarizerTestEnv(
  env: Record<string, string>,
  options: SummarizerTestEnvOptions & { sandbox: true },
): Promise<SummarizerTestEnv & { sandbox: Sandbox }>;
export function startSummarizerTestEnv(
  env?: Record<string, string>,
  options?: SummarizerTestEnvOptions,
): Promise<SummarizerTestEnv>;
export async function startSummarizerTestEnv(
  env: Record<string, string> = {},
  options: SummarizerTestEnvOptions = {},
): Promise<SummarizerTestEnv> {
  const stack = await startTestStack({ env, sandbox: options.sandbox ?? false });
  const workers = await startSummarizerWorkers(stack.config, options.workers);
  stack.onClose(workers.close);
  const { config, queues, sandbox } = stack;
  return { config, db: stack.testDb.db, queues, workers, sandbox, close: () => stack.close() };
}

/** A user whose phone number is linked, as onboarding leaves it. */
export async function createLinkedUser(db: Db, phoneNumber: string): Promise<string> {
  const id = randomUUID();
  await db
    .insertInto('auth.users')
    .values({ id, phone: phoneNumber.replace(/^\+/, '') })
    .execute();
  await db.insertInto('phone_links').values({ user_id: id, phone_number: phoneNumber, verified: true }).execute();
  return id;
}

/** Deterministic shuffle (a fixed-seed Fisher–Yates), so a failing order can be replayed. */
export function shuffled<T>(items: readonly T[], seed = 7): T[] {
  const out = [...items];
  let state = seed;
  for (let i = out.length - 1; i > 0; i--) {
    state = (state * 1_103_515_245 + 12_345) % 2_147_483_648;
    const j = state % (i + 1);
    [out[i], out[j]] = [out[j] as T, out[i] as T];
  }
  return out;
}
