import type { z } from 'zod';
import { ConfigError } from '../errors/errors.ts';
import { type ConfigVariableName, configVariables } from './config.schema.ts';
import { SANDBOX_DEFAULTS, sandboxBaseUrl } from './sandbox-defaults.ts';

type Raw = {
  [K in ConfigVariableName]: z.output<(typeof configVariables)[K]['schema']>;
};

/**
 * The validated configuration every service reads once at start-up. Each field comes from
 * the environment variable of the same meaning in config.schema.ts, where defaults live.
 */
export interface Config {
  database: {
    /** `DATABASE_URL`: the application's connections (may be Supabase's transaction pooler). */
    url: string;
    /** `DATABASE_URL_DIRECT`, else `url`: migrations and anything needing a session. */
    directUrl: string;
    /** `DATABASE_POOL_SIZE`: connections per process. Default 10. */
    poolSize: number;
  };
  redis: {
    /** `REDIS_URL`, used unless cluster nodes are set. */
    url: string;
    /** `REDIS_CLUSTER_NODES`: seeds of a Redis Cluster; when set every queue runs on it. */
    clusterNodes?: { host: string; port: number }[];
    /** `QUEUE_PREFIX`: BullMQ key prefix, wrapped as a hash tag. Default `sk`. */
    queuePrefix: string;
  };
  http: {
    /** `PORT`: the ingress port. Default 3000. */
    port: number;
    /** `PUBLIC_BASE_URL` without a trailing slash: what Twilio calls and signs. */
    publicBaseUrl: string;
  };
  twilio: {
    accountSid: string;
    authToken: string;
    /** Sender number; unset when a Messaging Service sends. */
    fromNumber?: string;
    messagingServiceSid?: string;
    /** Where the SDK's REST calls go; unset means Twilio itself. */
    apiBaseUrl?: string;
    /** `TWILIO_WEBHOOK_SHARED_KEY` (+ `_ID`): the Webhook Rule key webhooks may be signed with; unset refuses them. */
    webhookSharedKey?: { secret: string; id?: string };
    /** `TWILIO_CALLBACK_OVERRIDES`: the `#fragment` of connection overrides on callback URLs; '' for none. */
    callbackOverrides: string;
  };
  sandbox: {
    /** Sandbox mode: Twilio and OpenAI calls go to the local sandbox. */
    enabled: boolean;
    host: string;
    port: number;
    /** `http://host:port` of the sandbox. */
    baseUrl: string;
  };
  sms: {
    /** `SMS_MAX_PER_SECOND`: outbound messages per second per sender, across every replica. Default 1. */
    maxPerSecond: number;
  };
  workers: {
    /** `WORKER_CONCURRENCY`: jobs each worker process runs at once. Default 10. */
    concurrency: number;
    /** `WORKER_REPLICAS`: processes of each worker `npm start` runs. Default 1. */
    replicas: number;
    /** `METRICS_PORT`: where a process (worker or ingress) serves Prometheus metrics; unset serves none. */
    metricsPort?: number;
  };
  openai: {
    apiKey: string;
    /** Any OpenAI-compatible server; unset means OpenAI itself. */
    baseUrl?: string;
    /** `OPENAI_MODEL`. Default `gpt-4o-mini`. */
    model: string;
  };
  /** Set when users are created through Supabase Auth's admin API instead of SQL. */
  supabase?: { url: string; serviceRoleKey: string };
  /** Bearer token of `/api/*` and `/hooks/*`; unset disables both. */
  internalApiToken?: string;
  /** `METRICS_TOKEN`: bearer token of `/metrics` on the ingress's public port; unset: not served there. */
  metricsToken?: string;
  /** Basic-auth credentials of `/admin/queues`; unset disables the dashboard. */
  dashboard?: { user: string; password: string };
  onboarding: {
    /** `ONBOARDING_REMINDER_DELAY` in milliseconds. Default 24 h. */
    reminderDelayMs: number;
    /** `ONBOARDING_MAX_REMINDERS`. Default 2. */
    maxReminders: number;
    /** `ONBOARDING_SWEEP_INTERVAL` in milliseconds. Default 5 min. */
    sweepIntervalMs: number;
    /** `VERIFICATION_MAX_ATTEMPTS`: wrong codes before the code is void. Default 5. */
    verificationMaxAttempts: number;
    /** HMAC key of stored verification codes. */
    verificationCodeSecret: string;
  };
  /** ConversationRelay voice bot for incoming calls; unset means record-and-goodbye. */
  voiceBotWsUrl?: string;
  /** `LOG_LEVEL`. Default `info`. */
  logLevel: string;
  /** Settings that are valid but should not reach production; every service logs them at start. */
  warnings: string[];
}

function readRaw(env: NodeJS.ProcessEnv): { raw: Partial<Raw>; problems: string[] } {
  const raw: Record<string, unknown> = {};
  const problems: string[] = [];
  for (const [name, variable] of Object.entries(configVariables)) {
    const given = env[name];
    const value = given === undefined || given === '' ? variable.default : given;
    const result = variable.schema.safeParse(value);
    if (result.success) {
      raw[name] = result.data;
      continue;
    }
    const shown = value === undefined ? 'unset' : `"${value}"`;
    const reason = result.error.issues.map((issue) => issue.message).join(', ');
    problems.push(`${name} ${reason} (got ${shown})`);
  }
  return { raw: raw as Partial<Raw>, problems };
}

function configWarnings(r: Raw, sandbox: boolean): string[] {
  const warnings: string[] = [];
  if (sandbox) warnings.push('SANDBOX MODE: Twilio and OpenAI calls go to the local sandbox');
  if (r.VERIFICATION_CODE_SECRET === undefined)
    warnings.push('VERIFICATION_CODE_SECRET is unset: codes are keyed with the fixed development secret');
  return warnings;
}

/**
 * Validates the environment once; throws ConfigError with one line per missing or invalid
 * setting. Without Twilio credentials the services run in sandbox mode and every external
 * service falls back to the local sandbox.
 */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const { raw, problems } = readRaw(env);
  const r = raw as Raw;
  const sandbox = r.SANDBOX ?? r.TWILIO_ACCOUNT_SID === undefined;
  const sandboxUrl = sandboxBaseUrl(r.SANDBOX_HOST ?? '127.0.0.1', r.SANDBOX_PORT ?? SANDBOX_DEFAULTS.port);

  if (!sandbox) {
    if (r.TWILIO_ACCOUNT_SID === undefined && !problems.some((p) => p.startsWith('TWILIO_ACCOUNT_SID')))
      problems.push('TWILIO_ACCOUNT_SID is required outside sandbox mode (SANDBOX=0)');
    if (r.TWILIO_AUTH_TOKEN === undefined)
      problems.push('TWILIO_AUTH_TOKEN is required when TWILIO_ACCOUNT_SID is set');
    if (r.TWILIO_FROM_NUMBER === undefined && r.TWILIO_MESSAGING_SERVICE_SID === undefined)
      problems.push('TWILIO_FROM_NUMBER or TWILIO_MESSAGING_SERVICE_SID is required outside sandbox mode');
    if (r.OPENAI_API_KEY === undefined) problems.push('OPENAI_API_KEY is required outside sandbox mode');
    if (r.VERIFICATION_CODE_SECRET === undefined)
      problems.push('VERIFICATION_CODE_SECRET is required outside sandbox mode (at least 16 characters)');
  }
  if ((r.SUPABASE_URL === undefined) !== (r.SUPABASE_SERVICE_ROLE_KEY === undefined) && !sandbox)
    problems.push('SUPABASE_URL and SUPABASE_SERVICE_ROLE_KEY must be set together');
  if ((r.DASHBOARD_USER === undefined) !== (r.DASHBOARD_PASSWORD === undefined))
    problems.push('DASHBOARD_USER and DASHBOARD_PASSWORD must be set together');
  if (problems.length > 0) throw new ConfigError(problems);

  return {
    database: {
      url: r.DATABASE_URL,
      directUrl: r.DATABASE_URL_DIRECT ?? r.DATABASE_URL,
      poolSize: r.DATABASE_POOL_SIZE,
    },
    redis: { url: r.REDIS_URL, clusterNodes: r.REDIS_CLUSTER_NODES, queuePrefix: r.QUEUE_PREFIX },
    http: { port: r.PORT, publicBaseUrl: r.PUBLIC_BASE_URL.replace(/\/$/, '') },
    twilio: {
      accountSid: r.TWILIO_ACCOUNT_SID ?? SANDBOX_DEFAULTS.twilioAccountSid,
      authToken: r.TWILIO_AUTH_TOKEN ?? SANDBOX_DEFAULTS.twilioAuthToken,
      fromNumber:
        r.TWILIO_FROM_NUMBER ?? (r.TWILIO_MESSAGING_SERVICE_SID ? undefined : SANDBOX_DEFAULTS.twilioFromNumber),
      messagingServiceSid: r.TWILIO_MESSAGING_SERVICE_SID,
      apiBaseUrl: r.TWILIO_API_BASE_URL ?? (sandbox ? sandboxUrl : undefined),
      webhookSharedKey:
        r.TWILIO_WEBHOOK_SHARED_KEY !== undefined
          ? { secret: r.TWILIO_WEBHOOK_SHARED_KEY, id: r.TWILIO_WEBHOOK_SHARED_KEY_ID }
          : undefined,
      callbackOverrides: r.TWILIO_CALLBACK_OVERRIDES,
    },
    sandbox: { enabled: sandbox, host: r.SANDBOX_HOST, port: r.SANDBOX_PORT, baseUrl: sandboxUrl },
    sms: { maxPerSecond: r.SMS_MAX_PER_SECOND },
    workers: { concurrency: r.WORKER_CONCURRENCY, replicas: r.WORKER_REPLICAS, metricsPort: r.METRICS_PORT },
    openai: {
      apiKey: r.OPENAI_API_KEY ?? SANDBOX_DEFAULTS.openaiApiKey,
      baseUrl: r.OPENAI_BASE_URL ?? (sandbox ? `${sandboxUrl}/v1` : undefined),
      model: r.OPENAI_MODEL,
    },
    supabase:
      r.SUPABASE_URL !== undefined
        ? {
            url: r.SUPABASE_URL,
            serviceRoleKey: r.SUPABASE_SERVICE_ROLE_KEY ?? SANDBOX_DEFAULTS.supabaseServiceRoleKey,
          }
        : undefined,
    internalApiToken: r.INTERNAL_API_TOKEN,
    metricsToken: r.METRICS_TOKEN,
    dashboard:
      r.DASHBOARD_USER !== undefined && r.DASHBOARD_PASSWORD !== undefined
        ? { user: r.DASHBOARD_USER, password: r.DASHBOARD_PASSWORD }
        : undefined,
    onboarding: {
      reminderDelayMs: r.ONBOARDING_REMINDER_DELAY,
      maxReminders: r.ONBOARDING_MAX_REMINDERS,
      sweepIntervalMs: r.ONBOARDING_SWEEP_INTERVAL,
      verificationMaxAttempts: r.VERIFICATION_MAX_ATTEMPTS,
      verificationCodeSecret: r.VERIFICATION_CODE_SECRET ?? SANDBOX_DEFAULTS.verificationCodeSecret,
    },
    voiceBotWsUrl: r.VOICE_BOT_WS_URL,
    logLevel: r.LOG_LEVEL,
    warnings: configWarnings(r, sandbox),
  };
}

/**
 * `loadConfig` for a process's entry point: a bad configuration prints one line per problem
 * on stderr and ends the process with exit code 1.
 */
export function loadConfigOrExit(env: NodeJS.ProcessEnv = process.env): Config {
  try {
    return loadConfig(env);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    process.stderr.write(`${error.message}\n`);
    process.exit(1);
  }
}
