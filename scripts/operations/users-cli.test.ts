import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Sandbox } from '@series-killer/sandbox';
import { startTestStack, type TestStack } from '@series-killer/sandbox/testing';
import { SANDBOX_DEFAULTS, toAuthPhone } from '@series-killer/shared';
import { uniqueTestPhone } from '@series-killer/shared/testing';
import { createTwilioClient } from '@series-killer/shared/twilio';
import { runScript, type ScriptRun } from '../testing/run-script.ts';

const USERS = fileURLToPath(new URL('../users.ts', import.meta.url));

describe('npm run users -- delete', () => {
  let stack: TestStack & { sandbox: Sandbox };
  beforeAll(async () => {
    stack = await startTestStack({ sandbox: true });
    stack.sandbox.setCallbackMode({ enabled: false });
  });
  afterAll(() => stack.close());

  function run(...args: string[]): Promise<ScriptRun> {
    return runScript(USERS, args, { ...process.env, ...stack.env, LOG_LEVEL: 'silent' });
  }

  /** A user with a profile, a phone link and two messages Twilio (the sandbox) holds. */
  async function userWithMessages(): Promise<{ userId: string; phone: string; sids: string[] }> {
    const { db } = stack.testDb;
    const phone = uniqueTestPhone();
    const userId = randomUUID();
    await db
      .insertInto('auth.users')
      .values({ id: userId, phone: toAuthPhone(phone) })
      .execute();
    await db.insertInto('user_profiles').values({ user_id: userId, first_name: 'Ada', last_name: 'L' }).execute();
    await db.insertInto('phone_links').values({ user_id: userId, phone_number: phone }).execute();
    const twilio = createTwilioClient(stack.config.twilio);
    const sids: string[] = [];
    for (const body of ['Welcome, Ada', 'Your code is ******']) {
      const message = await twilio.messages.create({ to: phone, from: SANDBOX_DEFAULTS.twilioFromNumber, body });
      await db
        .insertInto('sms_history')
        .values({
          user_id: userId,
          phone_number: phone,
          message_sid: message.sid,
          direction: 'outbound',
          content: body,
        })
        .execute();
      sids.push(message.sid);
    }
    return { userId, phone, sids };
  }

  it('erases the user found by number, redacts their messages at Twilio and reports each; a rerun is a no-op', async () => {
    const user = await userWithMessages();

    const first = await run('delete', user.phone, '--redact-at-twilio');

    expect(first.code).toBe(0);
    expect(first.output).toContain(`user ${user.userId} erased`);
    expect(first.output).toMatch(/sms_history\s+2 removed/);
    for (const sid of user.sids) expect(first.output).toContain(`Twilio ${sid} redacted`);
    expect(first.output).toContain('Twilio redactions made: 2 of 2 pending');
    for (const sid of user.sids) expect(stack.sandbox.messages().find((m) => m.sid === sid)?.body).toBe('');
    const redactionRequests = () =>
      stack.sandbox.twilioRequests().filter((r) => r.method === 'POST' && r.params.Body === '');
    expect(redactionRequests()).toHaveLength(2);

    const again = await run('delete', user.userId, '--redact-at-twilio');

    expect(again.code).toBe(0);
    expect(again.output).toMatch(/sms_history\s+0 removed/);
    expect(again.output).toContain('auth user                  absent');
    expect(again.output).toContain('Twilio redactions made: 0 of 0 pending');
    expect(redactionRequests()).toHaveLength(2);
  }, 60_000);

  it('exits 1 for an unknown user and 2 for something that is neither an id nor a number', async () => {
    const unknown = await run('delete', '+14155559999');
    expect([unknown.code, unknown.output.trim()]).toEqual([1, 'no user with the number +1415***9999']);
    const nonsense = await run('delete', 'nobody');
    expect(nonsense.code).toBe(2);
    expect(nonsense.output).toContain('"nobody" is neither a user id nor a phone number');
  }, 60_000);

  it('decides sandbox mode as npm start does and prints only for people, on a developer machine with no settings', async () => {
    const developer: Record<string, string | undefined> = { ...process.env, ...stack.env };
    for (const name of ['SANDBOX', 'TWILIO_ACCOUNT_SID', 'TWILIO_AUTH_TOKEN', 'LOG_LEVEL', 'NODE_ENV'])
      delete developer[name];
    const missing = await runScript(USERS, ['delete', uniqueTestPhone()], developer);
    expect(missing.code).toBe(1);
    expect(missing.output).toMatch(/^no user with the number \+\d+\*+\d+\n$/);
  });
});
