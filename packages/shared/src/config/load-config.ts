import type { z } from 'zod';
import { ConfigError } from '../errors/errors.ts';
import { type ConfigVariableName, configVariables } from './config.schema.ts';
import { SANDBOX_DEFAULTS, sandboxBaseUrl } from './sandbox-defaults.ts';

type Raw = {
  [K in ConfigVariableName]: z.output<(typeof configVariables)[K]['schema']>;
};

/** The validated configuration every service reads once at start-up. */
export interface Config {
  database: { url: string; directUrl: string; poolSize: number };
  redis: { url: string; clusterNodes?: { host: string; port: number }[]; queuePrefix: string };
  http: { port: number; publicBaseUrl: string };
  twilio: {
    accountSid: string;
    authToken: string;
    fromNumber?: string;
    messagingServiceSid?: string;
    apiBaseUrl?: string;
  };
  sandbox: { enabled: boolean; host: string; port: number; baseUrl: string };
  sms: { maxPerSecond: number };
  workers: { concurrency: number; replicas: number };
  openai: { apiKey: string; baseUrl?: string; model: string };
  supabase?: { url: string; serviceRoleKey: string };
  internalApiToken?: string;
  dashboard?: { user: string; password: string };
  onboarding: {
    reminderDelayMs: number;
    maxReminders: number;
    sweepIntervalMs: number;
    verificationMaxAttempts: number;
    verificationCodeSecret: string;
  };
  voiceBotWsUrl?: string;
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
    },
    sandbox: { enabled: sandbox, host: r.SANDBOX_HOST, port: r.SANDBOX_PORT, baseUrl: sandboxUrl },
    sms: { maxPerSecond: r.SMS_MAX_PER_SECOND },
    workers: { concurrency: r.WORKER_CONCURRENCY, replicas: r.WORKER_REPLICAS },
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
