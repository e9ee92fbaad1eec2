import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import {
  addJob,
  bullPrefix,
  createLogger,
  createRedisConnection,
  type JobData,
  type JobName,
  prepareJob,
  type RedisConnection,
  type SmsStatusCallback,
} from '@series-killer/shared';
import { fakeSid, uniqueTestPhone, waitFor } from '@series-killer/shared/testing';
import { Worker } from 'bullmq';
import { type IngressHarness, startIngressHarness } from '../testing/ingress-harness.ts';
import { authUsersFor } from '../users/auth-users.ts';
import { eraseUser, eraseUserRows } from './erase-user.ts';
import { ERASURE_STEPS } from './erasure-steps.ts';
import { addRowsEverywhere, countWhere, tablesWithColumn, type UserRows } from './testing/user-everywhere.ts';
import { upsertErasure } from './user-erasures.repository.ts';

const TOKEN = 'internal-token-0123456789';

/** What erasing a user made by `newUser` removes, per table. */
const REMOVED_EVERYWHERE = {
  outbound_calls: 1,
  user_time_zones: 1,
  call_analyses: 1,
  call_status_sequences: 1,
  call_transcript_segments: 2,
  call_transcriptions: 2,
  call_history: 2,
  sms_status_events: 3,
  sms_deliveries: 1,
  sms_history: 3,
  onboarding_messages: 1,
  sms_opt_outs: 0,
  phone_links: 1,
  preferences: 1,
  user_profiles: 1,
};
const REMOVED_NOTHING = Object.fromEntries(Object.keys(REMOVED_EVERYWHERE).map((table) => [table, 0]));

describe.each([
  ['SQL on plain Postgres', false],
  ['Supabase Auth (the sandbox’s admin API)', true],
])('erasing a user, auth users through %s', (_path, supabase) => {
  let h: IngressHarness;
  beforeAll(async () => {
    h = await startIngressHarness({ INTERNAL_API_TOKEN: TOKEN }, { sandbox: supabase });
    expect(h.config.supabase !== undefined).toBe(supabase);
  });
  afterAll(async () => {
    await h.close();
  });

  const db = () => h.testDb.db;

  function erase(userId: string, query = '', token: string | null = TOKEN) {
    return fetch(`${h.ingress.url}/api/users/${userId}${query}`, {
      method: 'DELETE',
      headers: token ? { Authorization: `Bearer ${token}` } : {},
    });
  }

  /** A user made through the API (auth user, profile, phone link, preferences), then given rows everywhere else. */
  async function newUser(): Promise<UserRows> {
    const phone = uniqueTestPhone();
    const response = await fetch(`${h.ingress.url}/api/users`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${TOKEN}` },
      body: JSON.stringify({ phone, firstName: 'Ada', lastName: 'Lovelace', email: `${randomUUID()}@example.com` }),
    });
    expect(response.status).toBe(201);
    const { userId } = (await response.json()) as { userId: string };
    return addRowsEverywhere(db(), userId, phone);
  }

  async function rowsPerTable(userId: string): Promise<Record<string, number>> {
    const counts: Record<string, number> = {};
    for (const table of await tablesWithColumn(db(), 'user_id'))
      counts[table] = await countWhere(db(), table, 'user_id', userId);
    return counts;
  }

  async function authUserExists(userId: string): Promise<boolean> {
    const row = await db().selectFrom('auth.users').select('id').where('id', '=', userId).executeTakeFirst();
    return row !== undefined;
  }

  it('removes the user’s rows from every table with a user_id column, their number’s rows, and the auth user', async () => {
    const user = await newUser();
    const bystander = await newUser();
    const catalog = await tablesWithColumn(db(), 'user_id');
    // A table the erasure does not know would keep the user's rows (and block the auth user's deletion).
    expect(catalog.filter((table) => !ERASURE_STEPS.some((step) => step.table === table))).toEqual([]);
    const before = await rowsPerTable(user.userId);
    expect(Object.entries(before).filter(([, n]) => n === 0)).toEqual([]);
    const bystanderBefore = await rowsPerTable(bystander.userId);

    const response = await erase(user.userId);

    expect(response.status).toBe(202);
    const report = (await response.json()) as Record<string, unknown>;
    expect(report).toMatchObject({
      userId: user.userId,
      removed: REMOVED_EVERYWHERE,
      jobsCancelled: 1, // the onboarding start POST /api/users enqueued
      authUser: 'deleted',
      redactionsPending: 0,
      completedAt: expect.any(String),
    });
    expect(Object.values(await rowsPerTable(user.userId)).every((n) => n === 0)).toBe(true);
    expect(await authUserExists(user.userId)).toBe(false);
    for (const table of await tablesWithColumn(db(), 'phone_number')) {
      expect([table, await countWhere(db(), table, 'phone_number', user.phone)]).toEqual([
        table,
        table === 'sms_opt_outs' ? 1 : 0,
      ]);
    }
    for (const sid of user.messageSids) expect(await countWhere(db(), 'sms_status_events', 'message_sid', sid)).toBe(0);
    for (const sid of user.callSids) {
      for (const table of ['call_transcript_segments', 'call_transcriptions', 'call_status_sequences']) {
        expect(await countWhere(db(), table, 'call_sid', sid)).toBe(0);
      }
    }
    expect(await rowsPerTable(bystander.userId)).toEqual(bystanderBefore);
    expect(await authUserExists(bystander.userId)).toBe(true);
  });

  it('keeps the number’s STOP, without the user’s id, so the number stays refused', async () => {
    const user = await newUser();
    await erase(user.userId);

    const optOut = await db()
      .selectFrom('sms_opt_outs')
      .select(['user_id', 'opted_out', 'keyword'])
      .where('phone_number', '=', user.phone)
      .executeTakeFirst();
    expect(optOut).toEqual({ user_id: null, opted_out: true, keyword: 'STOP' });
  });

  it('answers a second run with zeros and changes nothing', async () => {
    const user = await newUser();
    const first = (await (await erase(user.userId)).json()) as { erasureId: number; completedAt: string };

    const again = await erase(user.userId);

    expect(again.status).toBe(202);
    expect(await again.json()).toEqual({
      userId: user.userId,
      erasureId: first.erasureId,
      removed: REMOVED_NOTHING,
      jobsCancelled: 0,
      authUser: 'absent',
      redactionsPending: 0,
      completedAt: first.completedAt,
    });
    const record = await db()
      .selectFrom('user_erasures')
      .select(['removed'])
      .where('erased_user_id', '=', user.userId)
      .executeTakeFirstOrThrow();
    expect(record.removed).toEqual(REMOVED_EVERYWHERE);
  });

  it('finishes, when run again, an erasure that crashed after removing the rows', async () => {
    const user = await newUser();
    const erasure = await upsertErasure(db(), user.userId, false);
    await eraseUserRows(db(), erasure.id);
    expect(await authUserExists(user.userId)).toBe(true);

    const response = await erase(user.userId);

    expect(response.status).toBe(202);
    expect(await response.json()).toMatchObject({ removed: REMOVED_NOTHING, authUser: 'deleted' });
    expect(await authUserExists(user.userId)).toBe(false);
    const record = await db()
      .selectFrom('user_erasures')
      .select(['removed', 'completed_at'])
      .where('id', '=', erasure.id)
      .executeTakeFirstOrThrow();
    expect(record).toEqual({ removed: REMOVED_EVERYWHERE, completed_at: expect.any(Date) });
  });

  it('finishes, when run again, an erasure that crashed after deleting the auth user', async () => {
    const user = await newUser();
    const authUsers = await authUsersFor(h.config, db());
    const erasure = await upsertErasure(db(), user.userId, false);
    await eraseUserRows(db(), erasure.id);
    await expect(authUsers.remove(user.userId)).resolves.toBe('deleted');

    const response = await erase(user.userId);

    expect(response.status).toBe(202);
    expect(await response.json()).toMatchObject({ authUser: 'absent', completedAt: expect.any(String) });
  });

  it('cancels the user’s queued jobs, so a pending reminder or send never runs', async () => {
    const user = await newUser();
    const bystander = await newUser();
    const hour = 60 * 60 * 1000;
    const reminderId = await addJob(
      h.queues,
      'send-reminder',
      { userId: user.userId, reminderNumber: 1 },
      { delay: hour },
    );
    const sendId = await addJob(h.queues, 'send-sms', {
      sendKey: `confirmation.${user.userId}`,
      to: user.phone,
      body: 'You are verified.',
      userId: user.userId,
    });
    const bystanderReminderId = await addJob(
      h.queues,
      'send-reminder',
      { userId: bystander.userId, reminderNumber: 1 },
      { delay: hour },
    );

    // Given in upper case, the id still matches the jobs' payloads.
    const report = (await (await erase(user.userId.toUpperCase())).json()) as { jobsCancelled: number };

    expect(report.jobsCancelled).toBe(3); // the onboarding start, the reminder, the send
    expect(await h.queues.onboarding.getJob(reminderId ?? '')).toBeUndefined();
    expect(await h.queues['sms-outbound'].getJob(sendId ?? '')).toBeUndefined();
    expect(await h.queues.onboarding.getJob(`start.${user.userId}`)).toBeUndefined();
    expect(await h.queues.onboarding.getJob(bystanderReminderId ?? '')).toBeDefined();
  });

  describe('jobs naming the user at any depth, in every state', () => {
    let redis: RedisConnection;
    beforeAll(() => {
      redis = createRedisConnection(h.config.redis, 'worker');
    });
    afterAll(async () => {
      await redis.quit();
    });

    const prefix = () => bullPrefix(h.config.redis.queuePrefix);

    function add<N extends JobName>(name: N, data: JobData<N>, opts: { delay?: number; priority?: number } = {}) {
      const job = prepareJob(name, data);
      return h.queues[job.queue].add(job.name, job.data, { ...job.opts, ...opts });
    }

    /** Takes the next job of `queue` as a worker would (BullMQ's manual processing); it stays active. */
    async function take(queue: string) {
      const worker = new Worker(queue, null, { connection: redis, prefix: prefix() });
      const job = await worker.getNextJob('erasure-test');
      await worker.close();
      if (!job) throw new Error(`no job on ${queue}`);
      return job;
    }

    function callback(messageSid: string, to: string): SmsStatusCallback {
      const raw = { MessageSid: messageSid, MessageStatus: 'delivered', To: to, From: '+15005550006' };
      return { messageSid, status: 'delivered', errorCode: null, raw, receivedAt: new Date().toISOString() };
    }

    /** Every key under the test's queue prefix whose name or content contains `needle`. */
    async function keysNaming(needle: string): Promise<string[]> {
      const found: string[] = [];
      let cursor = '0';
      do {
        const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix()}:*`, 'COUNT', 1000);
        cursor = next;
        for (const key of keys) if ((key + (await contentOf(key))).includes(needle)) found.push(key);
      } while (cursor !== '0');
      return found;
    }

    async function contentOf(key: string): Promise<string> {
      const type = await redis.type(key);
      if (type === 'string') return (await redis.get(key)) ?? '';
      if (type === 'hash') return JSON.stringify(await redis.hgetall(key));
      if (type === 'list') return JSON.stringify(await redis.lrange(key, 0, -1));
      if (type === 'set') return JSON.stringify(await redis.smembers(key));
      if (type === 'zset') return JSON.stringify(await redis.zrange(key, '0', '-1'));
      if (type === 'stream') return JSON.stringify(await redis.xrange(key, '-', '+'));
      return '';
    }

    it('removes them, keeps a batch’s other callbacks, removes what a running one wrote, and leaves nothing in Redis naming the user', async () => {
      const user = await newUser();
      const bystander = await newUser();
      const [message] = user.messageSids as [string];
      const [call] = user.callSids as [string];
      // A call the database does not know yet: only its queued webhook ties it to the number.
      const newCall = fakeSid('CA');
      const lateMessage = fakeSid('SM');
      const receivedAt = new Date().toISOString();
      const event = (callSid: string, text: string) => ({
        callSid,
        transcriptionSid: fakeSid('GT'),
        event: 'transcription-content' as const,
        sequenceId: 4,
        track: 'inbound_track' as const,
        text,
        confidence: 0.9,
        final: true,
        receivedAt,
      });

      // Completed: a status batch of the user's and the bystander's callbacks.
      await add('apply-sms-statuses', {
        callbacks: [callback(message, user.phone), callback(bystander.messageSids[0] as string, bystander.phone)],
      });
      const batch = await take('sms-status');
      await batch.moveToCompleted({ applied: 2 }, 'erasure-test', false);
      // Failed: a transcription event of the user's call.
      await add('transcription-event', event(call, 'my pin is 1234'));
      const failed = await take('calls');
      await failed.moveToFailed(new Error('database unavailable'), 'erasure-test');
      // Active: a summary of the user's call, which a worker is running.
      await add('summarize-call', { callSid: call });
      const running = await take('summaries');
      // Waiting: a batch holding one callback of the user's, in its raw form only; a webhook of a new
      // call of theirs, and that call's transcription event (which names only the call).
      const bystanderCallback = callback(fakeSid('SM'), bystander.phone);
      const waitingBatch = await add('apply-sms-statuses', {
        callbacks: [{ ...callback(lateMessage, user.phone), messageSid: lateMessage }, bystanderCallback],
      });
      await add('call-status', {
        callSid: newCall,
        callStatus: 'in-progress',
        from: user.phone,
        to: '+15005550006',
        direction: 'inbound',
        callDuration: null,
        sequenceNumber: 2,
        receivedAt,
      });
      await add('transcription-event', event(newCall, 'call me back'));
      // Delayed and prioritized.
      await add('send-reminder', { userId: user.userId, reminderNumber: 2 }, { delay: 60 * 60 * 1000 });
      await add(
        'record-inbound-sms',
        {
          messageSid: fakeSid('SM'),
          accountSid: fakeSid('AC'),
          from: user.phone,
          to: '+15005550006',
          body: 'hello',
          numMedia: 0,
          numSegments: 1,
          receivedAt,
        },
        { priority: 3 },
      );
      const identifiers = [
        user.phone.slice(1),
        user.userId,
        ...user.messageSids,
        ...user.callSids,
        newCall,
        lateMessage,
      ];
      expect((await Promise.all(identifiers.map(keysNaming))).flat()).not.toEqual([]);

      const erasure = erase(user.userId);
      await waitFor('the user’s rows to be gone', async () => (await rowsPerTable(user.userId)).user_profiles === 0);
      // The running job writes a row of the call after the erasure's transaction, then ends.
      await db()
        .insertInto('call_transcript_segments')
        .values({ call_sid: call, track: 'inbound_track', sequence: 9, text: 'written late' })
        .execute();
      await running.moveToCompleted({ summarized: true }, 'erasure-test', false);
      const response = await erasure;

      expect(response.status).toBe(202);
      expect(await countWhere(db(), 'call_transcript_segments', 'call_sid', call)).toBe(0);
      for (const identifier of identifiers)
        expect([identifier, await keysNaming(identifier)]).toEqual([identifier, []]);
      const kept = await h.queues['sms-status'].getJob(waitingBatch.id as string);
      expect(kept?.data).toEqual({ callbacks: [bystanderCallback] });
      const erased = await db().selectFrom('erased_sids').select('sid').execute();
      expect(erased.map((row) => row.sid)).toEqual(expect.arrayContaining([newCall, lateMessage, ...user.callSids]));
    });
  });

  it('with redactAtTwilio=1 records every message of the user for redaction and hands it to the SMS worker', async () => {
    const user = await newUser();

    const response = await erase(user.userId, '?redactAtTwilio=1');

    expect(response.status).toBe(202);
    const report = (await response.json()) as {
      erasureId: number;
      redactionsPending: number;
      redactions: unknown[];
      redactionJobId: string;
    };
    expect(report.redactionsPending).toBe(3);
    expect(report.redactions).toEqual(
      [...user.messageSids].sort().map((messageSid) => ({ messageSid, status: 'pending', error: null })),
    );
    expect(report.redactionJobId).toBe(`redact.${report.erasureId}`);
    const redactions = await db()
      .selectFrom('twilio_redactions')
      .select(['message_sid', 'status'])
      .where('erasure_id', '=', report.erasureId)
      .orderBy('message_sid')
      .execute();
    expect(redactions).toEqual([...user.messageSids].sort().map((message_sid) => ({ message_sid, status: 'pending' })));
    const job = await h.queues['sms-outbound'].getJob(report.redactionJobId);
    expect([job?.name, job?.data]).toEqual(['redact-message-bodies', { erasureId: report.erasureId }]);
  });

  it('answers 404 for an unknown user, 400 for an id that is not a UUID, 401 without the token', async () => {
    const unknown = await erase(randomUUID());
    expect(unknown.status).toBe(404);
    expect(await unknown.json()).toEqual({ error: expect.stringMatching(/^no user /) });

    const malformed = await erase('not-a-uuid');
    expect(malformed.status).toBe(400);
    expect(((await malformed.json()) as { errors: object }).errors).toEqual({ userId: 'must be a UUID' });
    const badFlag = await erase(randomUUID(), '?redactAtTwilio=maybe');
    expect(((await badFlag.json()) as { errors: object }).errors).toHaveProperty('redactAtTwilio');

    expect((await erase(randomUUID(), '', null)).status).toBe(401);
  });

  it('finds the user by phone number', async () => {
    const user = await newUser();
    const deps = {
      db: db(),
      queues: h.queues,
      authUsers: await authUsersFor(h.config, db()),
      logger: createLogger('erasure-test', 'silent'),
    };

    const report = await eraseUser(deps, { phoneNumber: user.phone });

    expect([report.userId, report.authUser]).toEqual([user.userId, 'deleted']);
    await expect(eraseUser(deps, { phoneNumber: user.phone })).rejects.toThrow('no user with that phone number');
  });
});
