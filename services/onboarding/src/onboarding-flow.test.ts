import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { type RunningIngress, startIngress } from '@series-killer/ingress';
import type { Sandbox } from '@series-killer/sandbox';
import { startTestStack, type TestStack } from '@series-killer/sandbox/testing';
import { addJob, type Config, createLogger, type Queues, VERIFICATION_CODE_IN_TEXT } from '@series-killer/shared';
import { type TestDatabase, uniqueTestPhone, waitFor } from '@series-killer/shared/testing';
import { createTwilioClient, type TwilioClient } from '@series-killer/shared/twilio';
import { startSmsWorkers } from '@series-killer/sms';
import { sql } from 'kysely';
import { type OnboardingWorkers, startOnboardingWorkers } from './start-onboarding-workers.ts';
import { insertUser } from './testing/onboarding-fixtures.ts';

const API_TOKEN = 'x'.repeat(32);
const MAX_ATTEMPTS = 3;
const TEN_MINUTES = 10 * 60 * 1000;

let stack: TestStack & { sandbox: Sandbox };
let testDb: TestDatabase;
let config: Config;
let sandbox: Sandbox;
let ingress: RunningIngress;
let onboarding: OnboardingWorkers;
let twilio: TwilioClient;
let queues: Queues;
/** Every log line the ingress, SMS and onboarding services wrote. */
const logLines: string[] = [];
/** Every verification code this file saw go out. */
const codesSeen = new Set<string>();

beforeAll(async () => {
  stack = await startTestStack({
    sandbox: true,
    env: {
      INTERNAL_API_TOKEN: API_TOKEN,
      SMS_MAX_PER_SECOND: '200',
      VERIFICATION_MAX_ATTEMPTS: String(MAX_ATTEMPTS),
      ONBOARDING_SWEEP_INTERVAL: '300ms',
    },
  });
  ({ testDb, config, sandbox, queues } = stack);
  const logger = createLogger('onboarding-flow', 'trace', { write: (line: string) => void logLines.push(line) });
  ingress = await startIngress(config, { logger: logger.child({ service: 'ingress' }) });
  stack.onClose(ingress.close);
  const sms = await startSmsWorkers(config, { logger: logger.child({ service: 'sms' }) });
  stack.onClose(sms.close);
  onboarding = await startOnboardingWorkers(config, { logger: logger.child({ service: 'onboarding' }) });
  stack.onClose(onboarding.close);
  twilio = createTwilioClient(config.twilio);
});

afterAll(async () => {
  await stack.close();
});

async function createUserByApi(phone: string, firstName = 'Ada'): Promise<string> {
  const response = await fetch(`${ingress.url}/api/users`, {
    method: 'POST',
    headers: { authorization: `Bearer ${API_TOKEN}`, 'content-type': 'application/json' },
    body: JSON.stringify({ phone, firstName, lastName: 'Lovelace' }),
  });
  expect(response.status).toBe(201);
  const { userId } = (await response.json()) as { userId: string };
  return userId;
}

async function postProfileWebhook(userId: string): Promise<void> {
  const response = await fetch(`${ingress.url}/hooks/user-profiles`, {
    method: 'POST',
    headers: { authorization: `Bearer ${API_TOKEN}`, 'content-type': 'application/json' },
    body: JSON.stringify({
      type: 'INSERT',
      schema: 'public',
      table: 'user_profiles',
      record: { user_id: userId, onboarding_status: 'pending' },
      old_record: null,
    }),
  });
  expect(response.status).toBe(202);
}

/** The texts the phone received, oldest first, read back through the Twilio SDK. */
async function textsTo(phone: string): Promise<string[]> {
  const newestFirst = await twilio.messages.list({ to: phone });
  return newestFirst.reverse().map((message) => message.body);
}

/** Waits for the `count`-th text to a phone that carries a code, and returns the code. */
async function codeTexted(phone: string, count = 1): Promise<string> {
  const code = await waitFor(`code text #${count}`, async () => {
    const codes = (await textsTo(phone)).flatMap((body) => VERIFICATION_CODE_IN_TEXT.exec(body)?.[1] ?? []);
    return codes.length >= count && codes[count - 1];
  });
  codesSeen.add(code);
  return code;
}

/** Texts a reply from the user's phone and waits for onboarding to have handled it. */
async function reply(phone: string, body: string): Promise<unknown> {
  const { messageSid } = await sandbox.sendInboundSms({ from: phone, to: config.twilio.fromNumber ?? '', body });
  return waitFor('the verify-code job', async () => {
    const job = await queues.onboarding.getJob(`verify.${messageSid}`);
    // Set once the job has completed.
    return job?.returnvalue ?? undefined;
  });
}

async function profileOf(userId: string) {
  return testDb.db
    .selectFrom('user_profiles')
    .select(['onboarding_status', 'onboarding_sent_at', 'onboarding_completed_at', 'phone_verified'])
    .where('user_id', '=', userId)
    .executeTakeFirstOrThrow();
}

async function messagesOf(userId: string) {
  return testDb.db
    .selectFrom('onboarding_messages')
    .select(['message_type', 'status', 'message_sid', 'sent_at', 'delivered_at', 'error_message'])
    .where('user_id', '=', userId)
    .orderBy('id')
    .execute();
}

/** Runs the send retries waiting out their backoff now. */
async function promoteDelayedSends(): Promise<void> {
  // A job may leave `delayed` between the listing and its promotion: that is no failure here.
  for (const job of await queues['sms-outbound'].getJobs(['delayed'])) await job.promote().catch(() => undefined);
}

function otherCode(code: string): string {
  return String((Number(code) + 1) % 1_000_000).padStart(6, '0');
}

describe('onboarding, end to end', () => {
  it('welcomes a user created by the API, verifies the code they text back and confirms', async () => {
    const phone = uniqueTestPhone();
    const userId = await createUserByApi(phone, 'Grace');

    const delivered = await waitFor('both messages delivered', async () => {
      const messages = await messagesOf(userId);
      return messages.length === 2 && messages.every((message) => message.status === 'delivered') && messages;
    });
    expect(delivered.map((message) => message.message_type)).toEqual(['welcome', 'verification']);
    for (const message of delivered) {
      expect(message.message_sid).toMatch(/^SM/);
      expect(message.sent_at).toBeInstanceOf(Date);
      expect(message.delivered_at).toBeInstanceOf(Date);
    }
    const sent = await profileOf(userId);
    expect(sent.onboarding_status).toBe('sms_sent');
    expect(sent.onboarding_sent_at).toBeInstanceOf(Date);
    const texts = await textsTo(phone);
    expect(texts).toHaveLength(2);
    expect(texts.some((text) => text.includes('Grace'))).toBe(true);

    const code = await codeTexted(phone);
    await expect(reply(phone, code)).resolves.toEqual({ outcome: 'verified' });

    const completed = await profileOf(userId);
    expect(completed).toMatchObject({ onboarding_status: 'completed', phone_verified: true });
    expect(completed.onboarding_completed_at).toBeInstanceOf(Date);
    const link = await testDb.db
      .selectFrom('phone_links')
      .select(['verified', 'verification_code'])
      .where('phone_number', '=', phone)
      .executeTakeFirstOrThrow();
    expect(link).toEqual({ verified: true, verification_code: null });
    const authUser = await testDb.db
      .selectFrom('auth.users')
      .select('phone_confirmed_at')
      .where('id', '=', userId)
      .executeTakeFirstOrThrow();
    expect(authUser.phone_confirmed_at).toBeInstanceOf(Date);
    await waitFor('the confirmation text', async () => (await textsTo(phone)).length === 3);
    expect((await textsTo(phone))[2]).toMatch(/confirmed/);
  });

  it('counts wrong codes, refuses even the right one after the maximum, and a reminder issues a working code', async () => {
    const phone = uniqueTestPhone();
    const userId = await createUserByApi(phone);
    const code = await codeTexted(phone);

    for (let attempt = 1; attempt <= MAX_ATTEMPTS; attempt += 1) {
      await expect(reply(phone, otherCode(code))).resolves.toEqual({ outcome: 'rejected', attempts: attempt });
    }
    await expect(reply(phone, code)).resolves.toMatchObject({ outcome: 'refused' });
    const link = await testDb.db
      .selectFrom('phone_links')
      .select(['verified', 'verification_attempts', 'last_verification_attempt'])
      .where('phone_number', '=', phone)
      .executeTakeFirstOrThrow();
    expect(link).toMatchObject({ verified: false, verification_attempts: MAX_ATTEMPTS });
    expect(link.last_verification_attempt).toBeInstanceOf(Date);
    const replies = await waitFor('the wrong-code and void replies', async () => {
      const texts = await textsTo(phone);
      return texts.length === 2 + MAX_ATTEMPTS && texts.slice(2);
    });
    expect(replies.at(-1)).toMatch(/expired/);

    // The first reminder is due now.
    await (await queues.onboarding.getJob(`reminder.${userId}.1`))?.promote();
    const newCode = await codeTexted(phone, 2);
    await expect(reply(phone, newCode)).resolves.toEqual({ outcome: 'verified' });
    expect(await profileOf(userId)).toMatchObject({ onboarding_status: 'completed' });
  });

  it('starts onboarding from the database webhook for a profile inserted with SQL', async () => {
    const phone = uniqueTestPhone();
    const userId = await insertUser(testDb.db, { linkedPhone: phone });

    await postProfileWebhook(userId);

    await waitFor('the welcome and the code', async () => (await textsTo(phone)).length === 2);
    await codeTexted(phone);
    expect((await messagesOf(userId)).map((message) => message.message_type)).toEqual(['welcome', 'verification']);
  });

  it('starts onboarding from the sweep for a profile nobody started', async () => {
    const phone = uniqueTestPhone();
    const userId = await insertUser(testDb.db, { authPhone: phone.slice(1), createdAgoMs: TEN_MINUTES });

    await waitFor('the welcome and the code', async () => (await textsTo(phone)).length === 2);
    await codeTexted(phone);
    expect((await messagesOf(userId)).map((message) => message.message_type)).toEqual(['welcome', 'verification']);
  });

  it('sends exactly one welcome when all three triggers fire for one user', async () => {
    const phone = uniqueTestPhone();
    const userId = await insertUser(testDb.db, { linkedPhone: phone, createdAgoMs: TEN_MINUTES });
    const insertedAt = Date.now();

    await Promise.all([
      postProfileWebhook(userId),
      addJob(queues, 'start-onboarding', { userId, trigger: 'api' }),
      waitFor('a sweep run after the insert', async () => {
        const jobs = await queues.onboarding.getJobs(['completed']);
        return jobs.some((job) => job.name === 'sweep-pending-profiles' && (job.processedOn ?? 0) > insertedAt);
      }),
    ]);

    await waitFor('both messages delivered', async () => {
      const messages = await messagesOf(userId);
      return messages.length === 2 && messages.every((message) => message.status === 'delivered');
    });
    await codeTexted(phone);
    expect(await textsTo(phone)).toHaveLength(2);
    expect((await messagesOf(userId)).filter((message) => message.message_type === 'welcome')).toHaveLength(1);
  });

  it('fails onboarding when Twilio rejects the number, with the reason on the message', async () => {
    const userId = await createUserByApi('+15005550001');

    const failed = await waitFor('the profile failed', async () => {
      const profile = await profileOf(userId);
      return profile.onboarding_status === 'failed' && profile;
    });
    expect(failed.onboarding_status).toBe('failed');
    const messages = await waitFor('the failure recorded', async () => {
      const rows = await messagesOf(userId);
      return rows.some((row) => row.status === 'failed') && rows;
    });
    expect(messages.find((row) => row.status === 'failed')?.error_message).toMatch(/21211/);
  });

  it('fails onboarding when a message is undelivered, with the reason on the message', async () => {
    const phone = uniqueTestPhone();
    sandbox.setCallbackModeFor(phone, { outcome: 'undelivered' });
    const userId = await createUserByApi(phone);

    await waitFor('the profile failed', async () => (await profileOf(userId)).onboarding_status === 'failed');
    const messages = await waitFor('the failures recorded', async () => {
      const rows = await messagesOf(userId);
      return rows.length === 2 && rows.every((row) => row.status === 'failed') && rows;
    });
    for (const message of messages) expect(message.error_message).toMatch(/30003/);
    await codeTexted(phone);
  });

  it('resends through the sweep the messages whose sends gave up while Twilio was down, welcome included', async () => {
    const phone = uniqueTestPhone();
    sandbox.setTwilioMode({ failWith: 500 });
    const userId = await insertUser(testDb.db, { linkedPhone: phone, createdAgoMs: TEN_MINUTES });

    // Each send retries with backoff for minutes; promoting the delayed retries runs them all now.
    const gaveUp = await waitFor(
      'both sends to give up, with the reason on their rows',
      async () => {
        await promoteDelayedSends();
        const rows = await messagesOf(userId);
        return (
          rows.length === 2 && rows.every((row) => /^gave up after 10 attempts/.test(row.error_message ?? '')) && rows
        );
      },
      { timeoutMs: 40_000 },
    );
    expect(gaveUp.map((row) => [row.message_type, row.status])).toEqual([
      ['welcome', 'pending'],
      ['verification', 'pending'],
    ]);
    expect((await profileOf(userId)).onboarding_status).toBe('pending');

    sandbox.setTwilioMode({});
    await waitFor(
      'both messages sent once Twilio is back',
      async () => {
        await promoteDelayedSends();
        const rows = await messagesOf(userId);
        return rows.length === 2 && rows.every((row) => row.status === 'delivered');
      },
      { timeoutMs: 40_000 },
    );
    expect((await profileOf(userId)).onboarding_status).toBe('sms_sent');
    const texts = await textsTo(phone);
    expect(texts).toHaveLength(2);
    expect(texts).toEqual(expect.arrayContaining([expect.stringMatching(/^Hi Ada, welcome/)]));
    await codeTexted(phone);
  }, 90_000);

  it('keeps no plaintext code in any table, log or finished job', async () => {
    expect(codesSeen.size).toBeGreaterThanOrEqual(6);
    expect(logLines.length).toBeGreaterThan(0);

    const columns = await sql<{ table_schema: string; table_name: string; column_name: string }>`
      select table_schema, table_name, column_name from information_schema.columns
      where table_schema in ('public', 'auth')
        and data_type in ('text', 'character varying', 'json', 'jsonb', 'ARRAY', 'USER-DEFINED')
    `.execute(testDb.db);
    expect(columns.rows.length).toBeGreaterThan(10);
    const pattern = `(^|[^0-9])(${[...codesSeen].join('|')})([^0-9]|$)`;
    for (const { table_schema, table_name, column_name } of columns.rows) {
      const found = await sql<{ count: number }>`
        select count(*)::int as count from ${sql.table(`${table_schema}.${table_name}`)}
        where ${sql.ref(column_name)}::text ~ ${pattern}
      `.execute(testDb.db);
      expect({ column: `${table_schema}.${table_name}.${column_name}`, rows: found.rows[0]?.count }).toEqual({
        column: `${table_schema}.${table_name}.${column_name}`,
        rows: 0,
      });
    }

    const codeInLog = new RegExp(pattern);
    expect(logLines.filter((line) => codeInLog.test(line))).toEqual([]);

    // Finished jobs are kept for their retention; once used, they keep only the masked code.
    const finished = await Promise.all(
      [stack.queues['sms-outbound'], stack.queues['sms-inbound'], stack.queues.onboarding].map((queue) =>
        queue.getJobs(['completed']),
      ),
    );
    const jobData = finished.flat().map((job) => JSON.stringify(job.data));
    expect(jobData.length).toBeGreaterThan(6);
    expect(jobData.filter((data) => codeInLog.test(data))).toEqual([]);
  });
});
