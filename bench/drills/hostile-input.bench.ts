// Malformed and hostile input against a running ingress: wrong types, missing fields, oversized
// bodies, bad signatures and odd encodings, generated with fast-check from a fixed seed.
import {
  closeQueues,
  createLogger,
  createQueues,
  createRedisConnection,
  type JobName,
  parseJobData,
  QUEUE_NAMES,
  SANDBOX_DEFAULTS,
} from '@series-killer/shared';
import {
  createTestConfig,
  createTestDatabase,
  createTestQueuePrefix,
  deleteQueuePrefix,
  freePort,
  type TestDatabase,
} from '@series-killer/shared/testing';
import fc from 'fast-check';
import { sql } from 'kysely';
import twilio from 'twilio';
import { type RunningProcess, repoPath, startProcess, waitForHttp } from '../lib/processes.ts';
import type { BenchResult } from '../lib/results.ts';
import { round } from '../lib/stats.ts';

const REQUESTS = Number(process.env.BENCH_HOSTILE_REQUESTS ?? 10_000);
const IN_FLIGHT = 16;
const SEED = 20_251_126;
const API_TOKEN = 'bench-internal-api-token-0123456789';
const OVERSIZED_BYTES = 64 * 1024 + 1;
/** Unsigned bodies of one key repeated to fill 64 KiB, and how many are in flight at once. */
const FIELD_FLOOD_BODIES = 64;
const FIELD_FLOOD_IN_FLIGHT = 8;

const TWILIO_ROUTES = ['/twilio/sms/status', '/twilio/sms', '/twilio/voice/status', '/twilio/voice/transcription'];
const API_ROUTES = ['/api/users', '/hooks/user-profiles'];

type Signature = 'valid' | 'wrong' | 'missing' | 'other-url';
type Encoding = 'form' | 'form-latin1' | 'json' | 'text' | 'broken-percent' | 'no-content-type';

interface Hostile {
  route: string;
  params: Record<string, string>;
  signature: Signature;
  encoding: Encoding;
  oversized: boolean;
  bearer: 'valid' | 'wrong' | 'missing';
}

const sid = (prefix: string) => fc.stringMatching(new RegExp(`^${prefix}[0-9a-f]{32}$`));
const anyText = fc.oneof(
  fc.string(),
  fc.string({ unit: 'grapheme' }),
  fc.string({ unit: 'binary' }),
  fc.constantFrom('', ' ', '0', '-1', '1e309', 'NaN', 'null', '[object Object]', '%00', '\u0000', '../../etc/passwd'),
);
/** Twilio's field names with plausible, wrong or hostile values; some requests come out valid. */
const twilioParams = fc.dictionary(
  fc.oneof(
    fc.constantFrom(
      'MessageSid',
      'SmsSid',
      'AccountSid',
      'MessageStatus',
      'ErrorCode',
      'From',
      'To',
      'Body',
      'NumMedia',
      'NumSegments',
      'CallSid',
      'CallStatus',
      'SequenceNumber',
      'TranscriptionSid',
      'TranscriptionEvent',
      'TranscriptionData',
      'SequenceId',
      'Track',
    ),
    fc.string({ maxLength: 20 }),
  ),
  fc.oneof(
    sid('SM'),
    sid('CA'),
    sid('AC'),
    fc.constantFrom('delivered', 'sent', 'failed', 'undelivered', 'completed', 'in-progress', 'transcription-content'),
    fc.constantFrom('+14155550100', '+15005550006', 'not-a-number', '+999'),
    fc.nat().map(String),
    fc.json(),
    anyText,
  ),
  { maxKeys: 10 },
);
/** JSON bodies for the internal API: right and wrong field types, including a few valid users. */
const apiParams = fc.dictionary(
  fc.oneof(
    fc.constantFrom(
      'phone',
      'firstName',
      'lastName',
      'location',
      'email',
      'voicePreference',
      'type',
      'table',
      'schema',
    ),
    fc.string({ maxLength: 12 }),
  ),
  fc.oneof(
    fc.integer({ min: 100, max: 199 }).map((n) => `+1415555${n + 1000}`),
    fc.constantFrom('Ada', 'Lovelace', 'INSERT', 'public', 'user_profiles', 'a@b.co'),
    anyText,
  ),
  { maxKeys: 6 },
);

/**
 * A valid record with at most one field removed or replaced and a few extra keys: close enough
 * to valid that many pass, so the accept path and what it stores are exercised too.
 */
function nearlyValid(base: fc.Arbitrary<Record<string, string>>): fc.Arbitrary<Record<string, string>> {
  return fc
    .tuple(
      base,
      fc.option(fc.nat(5)),
      fc.option(anyText),
      fc.dictionary(fc.string({ maxLength: 8 }), anyText, { maxKeys: 2 }),
    )
    .map(([record, fieldIndex, value, extras]) => {
      const params: Record<string, string> = { ...extras, ...record };
      const field = fieldIndex === null ? undefined : Object.keys(record)[fieldIndex];
      if (field === undefined) return params;
      if (value === null) delete params[field];
      else params[field] = value;
      return params;
    });
}

const statusCallback = fc.record({
  MessageSid: sid('SM'),
  AccountSid: sid('AC'),
  MessageStatus: fc.constantFrom('queued', 'sent', 'delivered', 'undelivered', 'failed', 'read'),
  ErrorCode: fc.constantFrom('30003', '30007', '0'),
});
const newUser = fc.record({
  phone: fc.integer({ min: 100, max: 199 }).map((n) => `+1415555${n + 1000}`),
  firstName: fc.constantFrom('Ada', 'Grace', 'Émilie', '李'),
  lastName: fc.constantFrom('Lovelace', 'Hopper', 'du Châtelet'),
});

const hostileRequest: fc.Arbitrary<Hostile> = fc.oneof(
  fc.record({
    route: fc.constant('/twilio/sms/status'),
    params: nearlyValid(statusCallback),
    signature: fc.constantFrom<Signature>('valid', 'valid', 'valid', 'wrong', 'other-url'),
    encoding: fc.constantFrom<Encoding>('form', 'form', 'form', 'form-latin1', 'broken-percent', 'json'),
    oversized: fc.nat(19).map((n) => n === 0),
    bearer: fc.constant('missing' as const),
  }),
  fc.record({
    route: fc.constant('/api/users'),
    params: nearlyValid(newUser),
    signature: fc.constant('missing' as const),
    encoding: fc.constantFrom<Encoding>('json', 'json', 'json', 'form'),
    oversized: fc.nat(19).map((n) => n === 0),
    bearer: fc.constantFrom('valid' as const, 'valid' as const, 'valid' as const, 'wrong' as const),
  }),
  fc.record({
    route: fc.constantFrom(...TWILIO_ROUTES),
    params: twilioParams,
    signature: fc.constantFrom<Signature>('valid', 'valid', 'valid', 'wrong', 'missing', 'other-url'),
    encoding: fc.constantFrom<Encoding>(
      'form',
      'form',
      'form',
      'form-latin1',
      'json',
      'text',
      'broken-percent',
      'no-content-type',
    ),
    oversized: fc.nat(9).map((n) => n === 0),
    bearer: fc.constant('missing' as const),
  }),
  fc.record({
    route: fc.constantFrom(...API_ROUTES),
    params: apiParams,
    signature: fc.constant('missing' as const),
    encoding: fc.constantFrom<Encoding>('json', 'json', 'form', 'text', 'no-content-type'),
    oversized: fc.nat(19).map((n) => n === 0),
    bearer: fc.constantFrom('valid' as const, 'valid' as const, 'wrong' as const, 'missing' as const),
  }),
);

function encodeBody(request: Hostile): { body: string | Buffer; contentType?: string } {
  const form = new URLSearchParams(request.params).toString();
  const padding = request.oversized ? `&Pad=${'x'.repeat(OVERSIZED_BYTES)}` : '';
  switch (request.encoding) {
    case 'form':
      return { body: form + padding, contentType: 'application/x-www-form-urlencoded' };
    case 'form-latin1':
      return {
        body: Buffer.from(form + padding, 'latin1'),
        contentType: 'application/x-www-form-urlencoded; charset=latin1',
      };
    case 'json':
      return {
        body: JSON.stringify({ ...request.params, ...(padding ? { Pad: padding } : {}) }),
        contentType: 'application/json',
      };
    case 'text':
      return { body: form + padding, contentType: 'text/plain' };
    case 'broken-percent':
      return { body: `${form}&Broken=%E0%A4%A&Bad=%ZZ${padding}`, contentType: 'application/x-www-form-urlencoded' };
    case 'no-content-type':
      return { body: form + padding };
  }
}

/** The headers a request carries; a valid signature is computed over what the ingress will parse. */
function headersFor(request: Hostile, publicBaseUrl: string, contentType?: string): Record<string, string> {
  const headers: Record<string, string> = contentType ? { 'content-type': contentType } : {};
  const token = SANDBOX_DEFAULTS.twilioAuthToken;
  if (request.signature === 'valid')
    headers['x-twilio-signature'] = twilio.getExpectedTwilioSignature(
      token,
      publicBaseUrl + request.route,
      request.params,
    );
  if (request.signature === 'wrong') headers['x-twilio-signature'] = 'bm90IGEgc2lnbmF0dXJlIGF0IGFsbCEhIQ==';
  if (request.signature === 'other-url')
    headers['x-twilio-signature'] = twilio.getExpectedTwilioSignature(
      token,
      `https://evil.example${request.route}`,
      request.params,
    );
  if (request.bearer === 'valid') headers.authorization = `Bearer ${API_TOKEN}`;
  if (request.bearer === 'wrong') headers.authorization = 'Bearer wrong-token';
  return headers;
}

const FORM_ENCODINGS: Encoding[] = ['form', 'form-latin1', 'broken-percent'];

/**
 * What the ingress routes allow for a request; undefined when the answer is correct. A body the route
 * reads (a form on Twilio routes, JSON with the right token on the API) over 64 KiB must get
 * 413; a body of another type is never read, so only the signature or token decides.
 */
function violation(request: Hostile, status: number): string | undefined {
  if (status === 0) return 'no answer (connection error)';
  if (status < 200 || status >= 500 || (status >= 300 && status < 400)) return `answered ${status}`;
  const isTwilio = TWILIO_ROUTES.includes(request.route);
  const readsBody = isTwilio
    ? FORM_ENCODINGS.includes(request.encoding)
    : request.encoding === 'json' && request.bearer === 'valid';
  if (request.oversized && readsBody && status !== 413) return `oversized body answered ${status}, not 413`;
  if (isTwilio && !(request.oversized && readsBody) && request.signature !== 'valid' && status !== 403)
    return `bad or missing signature answered ${status}, not 403`;
  const verifiable =
    request.signature === 'valid' && (request.encoding === 'form' || request.encoding === 'form-latin1');
  if (isTwilio && status < 300 && !verifiable) return `unverifiable request accepted (${status})`;
  if (!isTwilio && request.bearer !== 'valid' && status < 300)
    return `request without the bearer token accepted (${status})`;
  return undefined;
}

async function send(baseUrl: string, publicBaseUrl: string, request: Hostile): Promise<number> {
  const { body, contentType } = encodeBody(request);
  try {
    const response = await fetch(baseUrl + request.route, {
      method: 'POST',
      headers: headersFor(request, publicBaseUrl, contentType),
      body,
      signal: AbortSignal.timeout(10_000),
    });
    await response.arrayBuffer();
    return response.status;
  } catch {
    // Reported as status 0: a connection the ingress dropped or never answered.
    return 0;
  }
}

/** Every job the ingress stored must pass the job catalogue's schema: nothing half-formed reached a queue. */
async function invalidStoredJobs(prefix: string): Promise<{ stored: number; invalid: number }> {
  const config = createTestConfig({ QUEUE_PREFIX: prefix });
  const connection = createRedisConnection(config.redis, 'worker');
  const queues = createQueues(connection, config.redis, createLogger('bench', 'warn'));
  try {
    let stored = 0;
    let invalid = 0;
    for (const name of QUEUE_NAMES) {
      for (const job of await queues[name].getJobs([
        'wait',
        'delayed',
        'prioritized',
        'active',
        'completed',
        'failed',
      ])) {
        stored += 1;
        try {
          parseJobData(job.name as JobName, job.data);
        } catch {
          invalid += 1;
        }
      }
    }
    return { stored, invalid };
  } finally {
    await closeQueues(queues);
    connection.disconnect();
  }
}

/** Users created through the API have all four rows (one transaction) or none. */
async function halfWrittenUsers(testDb: TestDatabase): Promise<{ users: number; halfWritten: number }> {
  const { rows } = await sql<{ users: string; half: string }>`
    select count(*) as users,
           count(*) filter (where p.user_id is null or l.user_id is null or f.user_id is null) as half
    from auth.users u
    left join public.user_profiles p on p.user_id = u.id
    left join public.phone_links l on l.user_id = u.id
    left join public.preferences f on f.user_id = u.id
  `.execute(testDb.db);
  return { users: Number(rows[0]?.users ?? 0), halfWritten: Number(rows[0]?.half ?? 0) };
}

/**
 * Unsigned 64 KiB forms of one key repeated 32,768 times, eight at a time, while `/healthz` is
 * probed: the slowest probe shows how long the flood held the event loop.
 */
async function fieldFlood(baseUrl: string): Promise<{ refused: number; slowestProbeMs: number }> {
  const body = Array(32_768).fill('a').join('&');
  let sent = 0;
  let refused = 0;
  const flooder = async () => {
    while (sent < FIELD_FLOOD_BODIES) {
      sent += 1;
      const response = await fetch(`${baseUrl}/twilio/sms`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-twilio-signature': 'forged' },
        body,
      });
      await response.arrayBuffer();
      if (response.status === 413) refused += 1;
    }
  };
  let flooding = true;
  let slowestProbeMs = 0;
  const prober = async () => {
    while (flooding) {
      const startedAt = performance.now();
      await (await fetch(`${baseUrl}/healthz`)).arrayBuffer();
      slowestProbeMs = Math.max(slowestProbeMs, performance.now() - startedAt);
    }
  };
  const probing = prober();
  await Promise.all(Array.from({ length: FIELD_FLOOD_IN_FLIGHT }, flooder));
  flooding = false;
  await probing;
  return { refused, slowestProbeMs: round(slowestProbeMs, 1) };
}

async function hostileInput(): Promise<BenchResult> {
  const testDb = await createTestDatabase();
  const prefix = createTestQueuePrefix();
  const port = await freePort();
  const baseUrl = `http://127.0.0.1:${port}`;
  let ingress: RunningProcess | undefined;
  try {
    ingress = startProcess(repoPath('services/ingress/src/main.ts'), {
      DATABASE_URL: testDb.url,
      QUEUE_PREFIX: prefix,
      PORT: String(port),
      PUBLIC_BASE_URL: baseUrl,
      INTERNAL_API_TOKEN: API_TOKEN,
    });
    await waitForHttp(`${baseUrl}/healthz`, ingress);
    const requests = fc.sample(hostileRequest, { numRuns: REQUESTS, seed: SEED });
    const answers: Record<string, number> = {};
    const violations: Record<string, number> = {};
    const examples: { request: Hostile; status: number; problem: string }[] = [];
    let next = 0;
    const sender = async () => {
      while (next < requests.length) {
        const request = requests[next] as Hostile;
        next += 1;
        const status = await send(baseUrl, baseUrl, request);
        answers[status] = (answers[status] ?? 0) + 1;
        const problem = violation(request, status);
        if (!problem) continue;
        violations[problem] = (violations[problem] ?? 0) + 1;
        if (examples.length < 10) examples.push({ request, status, problem });
      }
    };
    await Promise.all(Array.from({ length: IN_FLIGHT }, sender));

    const flood = await fieldFlood(baseUrl);
    const alive = ingress.child.exitCode === null && (await fetch(`${baseUrl}/healthz`)).ok;
    const jobs = await invalidStoredJobs(prefix);
    const users = await halfWrittenUsers(testDb);
    const wrongAnswers = Object.values(violations).reduce((sum, n) => sum + n, 0);
    return {
      name: 'drill-hostile-input',
      goals: [
        { goal: 'ingress never crashes', value: alive ? 'alive' : 'crashed', met: alive },
        { goal: 'every answer 2xx or 4xx, as the routes define', value: wrongAnswers, met: wrongAnswers === 0 },
        {
          goal: `${FIELD_FLOOD_BODIES} forms of 32,768 fields: all 413, no probe held ≥ 100 ms`,
          value: `${flood.refused} refused, slowest probe ${flood.slowestProbeMs} ms`,
          met: flood.refused === FIELD_FLOOD_BODIES && flood.slowestProbeMs < 100,
        },
        {
          goal: 'nothing half-written',
          value: jobs.invalid + users.halfWritten,
          met: jobs.invalid + users.halfWritten === 0,
        },
      ],
      figures: {
        requests: REQUESTS,
        seed: SEED,
        answers,
        violations,
        examples,
        storedJobs: jobs.stored,
        invalidStoredJobs: jobs.invalid,
        usersCreated: users.users,
        halfWrittenUsers: users.halfWritten,
        fieldFlood: flood,
      },
    };
  } finally {
    await ingress?.stop();
    await deleteQueuePrefix(prefix);
    await testDb.drop();
  }
}

export const benchmarks = { 'drill-hostile-input': hostileInput };
