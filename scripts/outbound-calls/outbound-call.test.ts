import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { startIngress } from '@series-killer/ingress';
import type { Sandbox } from '@series-killer/sandbox';
import { startTestStack, type TestStack } from '@series-killer/sandbox/testing';
import { createLogger } from '@series-killer/shared';
import { freePort, uniqueTestPhone, waitFor } from '@series-killer/shared/testing';
import { startSummarizerWorkers } from '@series-killer/summarizer';
import { startVoice } from '@series-killer/voice';

const TOKEN = 'internal-token-0123456789';
const silent = createLogger('test', 'silent');

/** The ingress, the voice service (bot and placing) and the summarizer in this process, on the sandbox. */
let stack: TestStack & { sandbox: Sandbox };
let api: string;

beforeAll(async () => {
  const voicePort = await freePort();
  stack = await startTestStack({
    sandbox: true,
    env: {
      INTERNAL_API_TOKEN: TOKEN,
      VOICE_PORT: String(voicePort),
      VOICE_BOT_PUBLIC_URL: `ws://127.0.0.1:${voicePort}/voice/relay`,
      OUTBOUND_CALL_HOURS: '00:00-24:00',
      OUTBOUND_CALL_RETRY_AFTER: '200ms',
      CALLS_MAX_PER_SECOND: '20',
      TRANSCRIPT_GAP_GRACE: '500ms',
    },
  });
  const ingress = await startIngress(stack.config, { logger: silent });
  stack.onClose(ingress.close);
  const voice = await startVoice(stack.config, { logger: silent });
  stack.onClose(voice.close);
  const summarizer = await startSummarizerWorkers(stack.config, { logger: silent });
  stack.onClose(summarizer.close);
  api = ingress.url;
});
afterAll(async () => {
  await stack.close();
});

async function request(method: string, path: string, body?: unknown): Promise<Response> {
  return fetch(api + path, {
    method,
    headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${TOKEN}` },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
}

/** A user who signed up and verified their number. */
async function verifiedUser(): Promise<{ userId: string; phone: string }> {
  const phone = uniqueTestPhone();
  const created = await request('POST', '/api/users', { phone, firstName: 'Ada', lastName: 'Lovelace' });
  const { userId } = (await created.json()) as { userId: string };
  await stack.testDb.db.updateTable('phone_links').set({ verified: true }).where('user_id', '=', userId).execute();
  return { userId, phone };
}

async function askForCall(body: Record<string, unknown>): Promise<string> {
  const response = await request('POST', '/api/calls', body);
  expect(response.status).toBe(202);
  return ((await response.json()) as { id: string }).id;
}

const outboundCall = (id: string) =>
  stack.testDb.db.selectFrom('outbound_calls').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
const callsTo = (phone: string) => stack.sandbox.calls().filter((call) => call.to === phone);

describe('an outbound call through the whole stack', () => {
  it('rings once, talks with the bot about its purpose, and lands in call_history with transcript and summary', async () => {
    const { userId, phone } = await verifiedUser();
    stack.sandbox.setCallModeFor(phone, {
      answeredBy: 'human',
      lines: ['Oh hello, what is it?', 'Great, thanks. Goodbye!'],
    });
    const ask = { userId, purpose: 'the new season of Dark Waters', idempotencyKey: `dark-waters-${userId}` };
    const id = await askForCall(ask);
    expect(await askForCall(ask)).toBe(id);

    const done = await waitFor('the call to end', async () => {
      const row = await outboundCall(id);
      return row.status === 'completed' && row;
    });
    const [call, ...others] = callsTo(phone);
    expect(others).toEqual([]);
    expect(done).toMatchObject({ call_sid: call?.sid, answered_by: 'human', attempt: 1 });
    const dialogue = call?.relaySession?.dialogue ?? [];
    expect(dialogue[0]).toEqual({
      speaker: 'bot',
      text: "Hi Ada, it's Series Killer calling about the new season of Dark Waters.",
    });
    expect(dialogue.filter((turn) => turn.speaker === 'caller').map((turn) => turn.text)).toEqual([
      'Oh hello, what is it?',
      'Great, thanks. Goodbye!',
    ]);

    const history = await waitFor(
      'the call’s transcript and summary',
      async () => {
        const row = await stack.testDb.db
          .selectFrom('call_history')
          .selectAll()
          .where('call_sid', '=', call?.sid ?? '')
          .executeTakeFirst();
        return row?.summary ? row : undefined;
      },
      { timeoutMs: 25_000 },
    );
    expect(history).toMatchObject({ user_id: userId, phone_number: phone, call_status: 'completed' });
    expect(history.transcript).toContain('Oh hello, what is it?');
  });

  it('gives a voicemail a message, not a conversation', async () => {
    const { userId, phone } = await verifiedUser();
    stack.sandbox.setCallModeFor(phone, { answeredBy: 'machine_end_beep', lines: ['Hello?'] });
    const id = await askForCall({ userId, purpose: 'Friday’s episode' });
    await waitFor('the voicemail', async () => (await outboundCall(id)).status === 'voicemail');
    await waitFor('the call to end', () => callsTo(phone)[0]?.status === 'completed');
    const [call] = callsTo(phone);
    expect(call?.relaySession).toBeNull();
    const twiml = stack.sandbox.webhooks().find((hook) => hook.kind === 'voice' && hook.url === call?.url);
    expect(twiml?.body).toContain('<Say');
    expect(twiml?.body).not.toContain('ConversationRelay');
    expect(stack.sandbox.openaiRequests().some((body) => JSON.stringify(body).includes(phone))).toBe(false);
  });

  it('calls a busy number once more after the delay, then records it busy', async () => {
    const { userId, phone } = await verifiedUser();
    stack.sandbox.setCallModeFor(phone, { outcome: 'busy' });
    const id = await askForCall({ userId });
    const row = await waitFor('the last attempt to end', async () => {
      const current = await outboundCall(id);
      return current.status === 'busy' && current;
    });
    expect(row).toMatchObject({ attempt: 2, last_error: 'busy' });
    expect(callsTo(phone)).toHaveLength(2);
  });

  it('cancels a call before it is placed, and never rings', async () => {
    const { userId, phone } = await verifiedUser();
    const id = await askForCall({ userId, at: new Date(Date.now() + 60 * 60_000).toISOString() });
    expect((await request('DELETE', `/api/calls/${id}`)).status).toBe(204);
    expect((await outboundCall(id)).status).toBe('canceled');
    expect(callsTo(phone)).toEqual([]);
  });
});

describe('npm run calls', () => {
  const run = (...args: string[]) =>
    promisify(execFile)(process.execPath, ['scripts/calls.ts', ...args], {
      cwd: `${import.meta.dirname}/../..`,
      env: { ...process.env, SANDBOX: '1', PUBLIC_BASE_URL: api, INTERNAL_API_TOKEN: TOKEN, LOG_LEVEL: 'silent' },
    });

  it('places, lists and cancels calls through the API', async () => {
    const { phone } = await verifiedUser();
    const at = new Date(Date.now() + 30 * 24 * 60 * 60_000);
    at.setUTCHours(12, 0, 0, 0);
    const placed = await run('place', phone, '--purpose', 'a test', '--at', at.toISOString());
    const [, id, from] = /^call (\S+) scheduled; it may ring from (\S+)$/m.exec(placed.stdout) ?? [];
    expect(from).toBe(at.toISOString());
    expect((await run('list', '--limit', '5')).stdout).toContain(`${id}  scheduled`);
    expect((await run('cancel', id ?? '')).stdout).toContain(`call ${id} canceled`);
    await expect(run('cancel', id ?? '')).rejects.toMatchObject({
      stderr: expect.stringContaining('refused (409): the call is canceled'),
    });
  });
});
