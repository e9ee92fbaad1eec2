import { z } from 'zod';
import { isTimeZone, parseCallingHours } from '../calling-hours/calling-hours.ts';
import { E164_PATTERN, twilioSidPattern } from '../formats/formats.ts';
import { parseDuration } from './parse-duration.ts';

const url = (what: string) => z.string().refine((value) => URL.canParse(value), { message: `must be a URL (${what})` });

const positiveInt = z.coerce.number().int().positive();

const flag = z.enum(['0', '1', 'true', 'false']).transform((value) => value === '1' || value === 'true');

const duration = z.string().transform((value, ctx) => {
  const ms = parseDuration(value);
  if (ms === undefined) {
    ctx.addIssue({ code: 'custom', message: 'must be a duration such as 90s, 15m or 24h' });
    return z.NEVER;
  }
  return ms;
});

const callingHours = z.string().transform((value, ctx) => {
  const hours = parseCallingHours(value);
  if (hours === undefined) {
    ctx.addIssue({ code: 'custom', message: 'must be a daily window such as 09:00-20:00' });
    return z.NEVER;
  }
  return hours;
});

const timeZone = z.string().refine(isTimeZone, { message: 'must be an IANA time zone such as Europe/Paris' });

const clusterNodes = z.string().transform((value, ctx) => {
  const nodes = value
    .split(',')
    .map((part) => part.trim())
    .filter(Boolean)
    .map((part) => {
      const [host, port] = part.split(':');
      return { host: host ?? '', port: Number(port) };
    });
  if (nodes.length === 0 || nodes.some((n) => !n.host || !Number.isInteger(n.port) || n.port <= 0)) {
    ctx.addIssue({ code: 'custom', message: 'must be comma-separated host:port pairs' });
    return z.NEVER;
  }
  return nodes;
});

/**
 * Every environment variable the services read, with its default and meaning.
 * `description` feeds docs/configuration.md and .env.example (`npm run docs:config`); a test keeps
 * them in agreement. A default of `undefined` means unset; sandbox-mode fallbacks are applied in
 * `loadConfig`. Which variables production requires is found by loading each process's sections;
 * `requiredCondition` states, for the few it requires only sometimes, when.
 */
export const configVariables = {
  DATABASE_URL: {
    schema: url('postgres://…'),
    default: 'postgres://postgres:postgres@127.0.0.1:5432/postgres',
    description: 'Postgres (Supabase: the direct or session-pooler URL)',
  },
  DATABASE_URL_DIRECT: {
    schema: url('postgres://…').optional(),
    default: undefined,
    description:
      'A direct or session-mode URL for migrations and advisory locks when `DATABASE_URL` is Supabase’s transaction-mode pooler (unset: `DATABASE_URL`)',
  },
  DATABASE_POOL_SIZE: {
    schema: positiveInt,
    default: '10',
    description: 'Postgres connections per process',
  },
  REDIS_URL: {
    schema: url('redis://…'),
    default: 'redis://127.0.0.1:6379',
    description: 'Redis for BullMQ',
  },
  REDIS_CLUSTER_NODES: {
    schema: clusterNodes.optional(),
    default: undefined,
    description:
      'Comma-separated `host:port` seeds of a Redis Cluster; when set, every queue runs on the cluster and `REDIS_URL` is not used',
  },
  QUEUE_PREFIX: {
    schema: z.string().regex(/^[a-zA-Z0-9_-]+$/, 'must be letters, digits, - or _'),
    default: 'sk',
    description: 'BullMQ key prefix (wrapped as a Redis Cluster hash tag)',
  },
  PORT: {
    schema: positiveInt.max(65535),
    default: '3000',
    description: 'Ingress HTTP port',
  },
  HOST: {
    schema: z.string().min(1).optional(),
    default: undefined,
    description:
      'The interface the HTTP services listen on (unset: `127.0.0.1` in sandbox mode, so a developer machine serves nothing to the network, else `0.0.0.0`)',
  },
  METRICS_PORT: {
    schema: positiveInt.max(65535).optional(),
    default: undefined,
    description:
      'Port of a Prometheus `/metrics` endpoint in each process, the ingress included (unset: none; `npm start` gives each process the next port)',
  },
  METRICS_HOST: {
    schema: z.string().min(1),
    default: '127.0.0.1',
    description:
      'Interface the `METRICS_PORT` endpoints listen on; they have no auth, so loopback unless set (`0.0.0.0` where Prometheus scrapes from a private network, as in docker-compose)',
  },
  PUBLIC_BASE_URL: {
    schema: url('https://…'),
    default: 'http://127.0.0.1:3000',
    description:
      'The URL Twilio calls; signatures are checked against it and callback URLs are built from it (where sandbox mode is set for you on a developer machine, an unset one follows `PORT`: `http://127.0.0.1:$PORT`)',
  },
  TWILIO_ACCOUNT_SID: {
    schema: z.string().regex(twilioSidPattern('AC'), 'must be AC followed by 32 hex digits').optional(),
    default: undefined,
    description: 'Twilio account SID (required unless `SANDBOX=1`; in sandbox mode the sandbox’s account)',
  },
  TWILIO_AUTH_TOKEN: {
    schema: z.string().min(1).optional(),
    default: undefined,
    description: 'Twilio auth token; also validates webhook signatures (sandbox value in sandbox mode)',
  },
  TWILIO_FROM_NUMBER: {
    schema: z.string().regex(E164_PATTERN, 'must be an E.164 number such as +15551234567').optional(),
    default: undefined,
    description: 'Sender number (sandbox number in sandbox mode); or set `TWILIO_MESSAGING_SERVICE_SID`',
    requiredCondition: 'unless `TWILIO_MESSAGING_SERVICE_SID` is set',
  },
  TWILIO_MESSAGING_SERVICE_SID: {
    schema: z.string().regex(twilioSidPattern('MG'), 'must be MG followed by 32 hex digits').optional(),
    default: undefined,
    description: 'Messaging Service used as the sender instead of `TWILIO_FROM_NUMBER`',
  },
  TWILIO_API_BASE_URL: {
    schema: url('http://…').optional(),
    default: undefined,
    description: 'Where the Twilio SDK sends REST calls (unset: real Twilio; the sandbox in sandbox mode)',
  },
  TWILIO_WEBHOOK_SHARED_KEY: {
    schema: z.string().min(1).optional(),
    default: undefined,
    description:
      'Secret of a Twilio Webhook Rule’s shared key: webhooks announced by `X-Twilio-Webhooks-Signature-Settings` are validated with it (unset: such webhooks are refused with 403)',
  },
  TWILIO_WEBHOOK_SHARED_KEY_ID: {
    schema: z.string().min(1).optional(),
    default: undefined,
    description:
      'Id of that shared key: a webhook whose `X-Twilio-Webhooks-Signature-Settings` names another key is refused with 403 (unset: any key id)',
  },
  SANDBOX: {
    schema: flag.optional(),
    default: undefined,
    description:
      'Sandbox mode: `npm start` also runs the sandbox and the Twilio and OpenAI SDKs are pointed at it. `npm start`, `npm run demo` and the `users`, `jobs` and `summarize` commands set it when `TWILIO_ACCOUNT_SID` is unset and `NODE_ENV` is not `production`; any other process without it needs real credentials and refuses to start without them',
  },
  SANDBOX_HOST: {
    schema: z.string().min(1),
    default: '127.0.0.1',
    description:
      'Host the sandbox listens on and the services reach it at (in docker-compose: the `sandbox` service name)',
  },
  SANDBOX_PORT: {
    schema: positiveInt.max(65535),
    default: '3100',
    description: 'The sandbox listens on `http://$SANDBOX_HOST:$SANDBOX_PORT`',
  },
  TWILIO_CALLBACK_OVERRIDES: {
    schema: z
      .string()
      .regex(/^(none|[a-z]+=[\w,.]+(&[a-z]+=[\w,.]+)*)$/, 'must be key=value pairs joined by &, or none')
      .transform((value) => (value === 'none' ? '' : value)),
    default: 'rc=3&rp=all',
    description:
      'Connection overrides appended as `#fragment` to the SMS status and transcription callback URLs (`rc=3&rp=all`: Twilio retries 5xx answers and timeouts 3 times); `none` for bare URLs',
  },
  SMS_RECONCILE_AFTER: {
    schema: duration,
    default: '10m',
    description: 'How long after Twilio accepted an SMS without a final status it is fetched from Twilio',
  },
  SMS_RECONCILE_INTERVAL: {
    schema: duration,
    default: '1m',
    description: 'How often the reconciler looks for SMS whose check with Twilio is due',
  },
  SMS_MAX_PER_SECOND: {
    schema: z.coerce.number().positive(),
    default: '1',
    description: 'Outbound SMS per second per sender (a Twilio long code sends 1 segment/s)',
  },
  CALLS_MAX_PER_SECOND: {
    schema: z.coerce.number().positive(),
    default: '1',
    description: 'Outbound calls placed per second, across every replica (Twilio’s default account limit is 1)',
  },
  OUTBOUND_CALL_HOURS: {
    schema: callingHours,
    default: '09:00-20:00',
    description:
      'When outbound calls may ring, in the user’s time zone (`HH:MM-HH:MM`; a call asked for outside waits)',
  },
  OUTBOUND_CALL_TIMEZONE: {
    schema: timeZone,
    default: 'UTC',
    description: 'The time zone of `OUTBOUND_CALL_HOURS` for users whose own zone is not known (an IANA name)',
  },
  OUTBOUND_CALL_RETRIES: {
    schema: z.coerce.number().int().min(0).max(10),
    default: '1',
    description: 'How many more times an outbound call that was busy, unanswered or failed is tried',
  },
  OUTBOUND_CALL_RETRY_AFTER: {
    schema: duration,
    default: '10m',
    description: 'How long after a busy, unanswered or failed outbound call it is tried again',
  },
  WORKER_CONCURRENCY: {
    schema: positiveInt,
    default: '10',
    description: 'Jobs each worker process runs at once',
  },
  WORKER_REPLICAS: {
    schema: positiveInt,
    default: '1',
    description: 'How many processes of each worker `npm start` runs',
  },
  OPENAI_API_KEY: {
    schema: z.string().min(1).optional(),
    default: undefined,
    description: 'OpenAI API key (sandbox key in sandbox mode)',
  },
  OPENAI_BASE_URL: {
    schema: url('https://…/v1').optional(),
    default: undefined,
    description: 'Any OpenAI-compatible server (unset: OpenAI; the sandbox in sandbox mode)',
  },
  OPENAI_MODEL: {
    schema: z.string().min(1),
    default: 'gpt-4o-mini',
    description: 'Model used for call summaries',
  },
  SUPABASE_URL: {
    schema: url('https://<project>.supabase.co').optional(),
    default: undefined,
    description:
      'When set (with the service-role key), new auth users are created through Supabase Auth instead of SQL',
  },
  SUPABASE_SERVICE_ROLE_KEY: {
    schema: z.string().min(1).optional(),
    default: undefined,
    description: 'Supabase service-role key for the Auth admin API',
  },
  INTERNAL_API_TOKEN: {
    schema: z.string().min(16, 'must be at least 16 characters').optional(),
    default: undefined,
    description:
      'Bearer token for `/api/*` and `/hooks/*` (unset: both disabled; in sandbox mode `npm start` uses the one kept in `.local/credentials.env`)',
  },
  METRICS_TOKEN: {
    schema: z.string().min(16, 'must be at least 16 characters').optional(),
    default: undefined,
    description:
      'Bearer token `/metrics` on the ingress’s public port requires (unset: `/metrics` is not served on `PORT`, only on `METRICS_PORT`)',
  },
  DASHBOARD_USER: {
    schema: z.string().min(1).optional(),
    default: undefined,
    description:
      'Basic-auth user for `/admin/queues` (unset: dashboard disabled; in sandbox mode `npm start` uses the one kept in `.local/credentials.env`)',
  },
  DASHBOARD_PASSWORD: {
    schema: z.string().min(8, 'must be at least 8 characters').optional(),
    default: undefined,
    description:
      'Basic-auth password for `/admin/queues`; in sandbox mode `npm start` generates one once, keeps it in `.local/credentials.env` and prints it',
  },
  ONBOARDING_REMINDER_DELAY: {
    schema: duration,
    default: '24h',
    description: 'Delay before a reminder when a user has not verified',
  },
  ONBOARDING_MAX_REMINDERS: {
    schema: z.coerce.number().int().min(0),
    default: '2',
    description: 'Reminders sent at most per user',
  },
  ONBOARDING_SWEEP_INTERVAL: {
    schema: duration,
    default: '5m',
    description: 'How often pending profiles that nobody started are picked up',
  },
  TRANSCRIPT_GAP_GRACE: {
    schema: duration,
    default: '30s',
    description:
      'How long after a transcription stops (or its call completes) a transcript still missing pieces waits for them; then it is assembled with the gaps marked and summarised',
  },
  VERIFICATION_MAX_ATTEMPTS: {
    schema: positiveInt,
    default: '5',
    description: 'Wrong codes before the code is void',
  },
  VERIFICATION_CODE_SECRET: {
    schema: z.string().min(16, 'must be at least 16 characters').optional(),
    default: undefined,
    description:
      'Key of the HMAC under which verification codes are stored; required outside sandbox mode (a fixed development value in sandbox mode)',
  },
  EVENT_RETENTION: {
    schema: duration,
    default: '90d',
    description:
      'How long the event logs (`sms_status_events`, `call_transcript_segments`, `skipped_calls`) are kept before an hourly job prunes them',
  },
  ORPHANED_EVENT_RETENTION: {
    schema: duration,
    default: '3d',
    description:
      'How long a status callback whose send never appeared (an orphaned event in `sms_status_events`, never applied) is kept before the hourly job prunes it',
  },
  VOICE_BOT_WS_URL: {
    schema: z
      .string()
      .regex(/^wss?:\/\//, 'must be a ws:// or wss:// URL')
      .optional(),
    default: undefined,
    description: 'When set, incoming calls are connected to this ConversationRelay voice bot',
  },
  VOICE_BOT: {
    schema: z.enum(['on', 'off']).transform((value) => value === 'on'),
    default: 'on',
    description:
      'Our live voice bot answers incoming calls (`on`); `off`: callers leave a message (`<Record>`). `VOICE_BOT_WS_URL` overrides both',
  },
  VOICE_BOT_PUBLIC_URL: {
    schema: z
      .string()
      .regex(/^wss?:\/\//, 'must be a ws:// or wss:// URL')
      .optional(),
    default: undefined,
    description:
      'The `wss://` URL Twilio reaches the voice service at (path `/voice/relay`); upgrade signatures are checked against it. Required with the bot on outside sandbox mode (sandbox mode: the local voice service)',
    requiredCondition: 'while `VOICE_BOT=on` and `VOICE_BOT_WS_URL` is unset',
  },
  VOICE_PORT: {
    schema: positiveInt.max(65535),
    default: '3200',
    description: 'The voice service’s port',
  },
  VOICE_BOT_MODEL: {
    schema: z.string().min(1),
    default: 'gpt-4o-mini',
    description: 'Chat model of the voice bot (any OpenAI-compatible server that streams)',
  },
  VOICE_BOT_INSTRUCTIONS: {
    schema: z.string().min(1).optional(),
    default: undefined,
    description:
      'The voice bot’s instructions (unset: `VOICE_BOT_INSTRUCTIONS_FILE`, else a default Series Killer persona)',
  },
  VOICE_BOT_INSTRUCTIONS_FILE: {
    schema: z.string().min(1).optional(),
    default: undefined,
    description: 'A file holding the voice bot’s instructions, read once at start',
  },
  VOICE_BOT_TRANSFER_NUMBER: {
    schema: z.string().regex(E164_PATTERN, 'must be an E.164 number such as +15551234567').optional(),
    default: undefined,
    description: 'Where a caller who asks for a human is dialled (unset: no transfers)',
  },
  VOICE_BOT_IDLE_AFTER: {
    schema: duration,
    default: '8s',
    description:
      'Caller silence after the bot finished before it asks whether they are still there (twice: it ends the call)',
  },
  VOICE_BOT_MAX_CALL: {
    schema: duration,
    default: '15m',
    description: 'Call length at which the bot wraps the call up',
  },
  VOICE_BOT_FIRST_TOKEN_TIMEOUT: {
    schema: duration,
    default: '4s',
    description: 'No first token from the model by then: the caller hears a short apology and the turn is retried once',
  },
  LOG_LEVEL: {
    schema: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']),
    default: 'info',
    description: 'pino log level',
  },
} as const;

export type ConfigVariableName = keyof typeof configVariables;
