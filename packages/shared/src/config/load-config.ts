import type { z } from 'zod';
import { ConfigError } from '../errors/errors.ts';
import { type ConfigVariableName, configVariables } from './config.schema.ts';
import { SANDBOX_DEFAULTS, sandboxBaseUrl } from './sandbox-defaults.ts';

type Raw = {
  [K in ConfigVariableName]: z.output<(typeof configVariables)[K]['schema']>;
};

/** What a section's builder knows beyond its own variables, and where it reports. */
interface SectionContext {
  /** Sandbox mode (`SANDBOX=1`): external services fall back to the local sandbox. */
  sandbox: boolean;
  /** `http://host:port` of the sandbox. */
  sandboxUrl: string;
  /** A missing or inconsistent setting: start-up fails with this line. */
  problem(line: string): void;
  /** A valid setting that should not reach production: logged at start. */
  warn(line: string): void;
}

interface ConfigSection<V extends ConfigVariableName, T> {
  /** The variables the section reads: only these are validated, and docs/configuration.md lists its readers beside them. */
  variables: readonly V[];
  build(r: Pick<Raw, V>, context: SectionContext): T;
}

/** `twilio`: the account, and where the SDK's calls go. */
export interface TwilioConfig {
  accountSid: string;
  /** Also validates webhook signatures. */
  authToken: string;
  /** Sender number; unset when a Messaging Service sends. */
  fromNumber?: string;
  messagingServiceSid?: string;
  /** Where the SDK's REST calls go; unset means Twilio itself. */
  apiBaseUrl?: string;
  /** `TWILIO_CALLBACK_OVERRIDES`: the callback URLs' `#fragment` of connection overrides. Default `rc=3&rp=all`. */
  callbackOverrides: string;
  /** `TWILIO_WEBHOOK_SHARED_KEY` (and `_ID`): a Webhook Rule's shared key; unset refuses shared-key signatures. */
  webhookSharedKey?: { secret: string; id?: string };
}

/** `openai`: summaries. */
export interface OpenAIConfig {
  apiKey: string;
  /** Any OpenAI-compatible server; unset means OpenAI itself. */
  baseUrl?: string;
  /** `OPENAI_MODEL`. Default `gpt-4o-mini`. */
  model: string;
}

/** The path the voice service serves ConversationRelay's WebSocket at. */
export const VOICE_RELAY_PATH = '/voice/relay';

/** `voice`: how incoming calls are answered. */
export interface VoiceConfig {
  /** `VOICE_BOT_WS_URL`: an external ConversationRelay bot; when set it answers instead of ours. */
  botWsUrl?: string;
  /** `VOICE_BOT`: our voice bot answers calls. Default on. */
  bot: boolean;
  /** `VOICE_BOT_PUBLIC_URL`: the ws(s):// URL Twilio reaches our bot at; the local service in sandbox mode. */
  botPublicUrl: string;
  /** `VOICE_BOT_TRANSFER_NUMBER`: where a caller asking for a human is dialled; unset: no transfers. */
  transferNumber?: string;
}

/** `voiceBot`: the voice service itself. */
export interface VoiceBotConfig {
  /** `VOICE_PORT`. Default 3200. */
  port: number;
  /** `VOICE_BOT_MODEL`. Default `gpt-4o-mini`. */
  model: string;
  /** `VOICE_BOT_INSTRUCTIONS`; unset: the file, else the default persona. */
  instructions?: string;
  /** `VOICE_BOT_INSTRUCTIONS_FILE`, read once at start. */
  instructionsFile?: string;
  /** `VOICE_BOT_IDLE_AFTER` in milliseconds. Default 8 s. */
  idleAfterMs: number;
  /** `VOICE_BOT_MAX_CALL` in milliseconds. Default 15 min. */
  maxCallMs: number;
  /** `VOICE_BOT_FIRST_TOKEN_TIMEOUT` in milliseconds. Default 4 s. */
  firstTokenTimeoutMs: number;
}

/** A section may read only the variables it lists: the builder's `r` holds nothing else. */
function section<const V extends ConfigVariableName, T>(
  variables: readonly V[],
  build: (r: Pick<Raw, V>, context: SectionContext) => T,
): ConfigSection<V, T> {
  return { variables, build };
}

/**
 * The configuration in sections: each process loads only the sections it uses (its `main.ts`
 * names them), so it validates, requires and receives only those settings. A new setting is one
 * variable in config.schema.ts plus its name and field in one section here.
 */
export const configSections = {
  database: section(['DATABASE_URL', 'DATABASE_URL_DIRECT', 'DATABASE_POOL_SIZE'], (r) => ({
    /** `DATABASE_URL`: the application's connections (may be Supabase's transaction pooler). */
    url: r.DATABASE_URL,
    /** `DATABASE_URL_DIRECT`, else `url`: migrations and anything needing a session. */
    directUrl: r.DATABASE_URL_DIRECT ?? r.DATABASE_URL,
    /** `DATABASE_POOL_SIZE`: connections per process. Default 10. */
    poolSize: r.DATABASE_POOL_SIZE,
  })),

  redis: section(['REDIS_URL', 'REDIS_CLUSTER_NODES', 'QUEUE_PREFIX'], (r) => ({
    /** `REDIS_URL`, used unless cluster nodes are set. */
    url: r.REDIS_URL,
    /** `REDIS_CLUSTER_NODES`: seeds of a Redis Cluster; when set every queue runs on it. */
    clusterNodes: r.REDIS_CLUSTER_NODES,
    /** `QUEUE_PREFIX`: BullMQ key prefix, wrapped as a hash tag. Default `sk`. */
    queuePrefix: r.QUEUE_PREFIX,
  })),

  http: section(['PORT', 'HOST', 'PUBLIC_BASE_URL'], (r, { sandbox }) => ({
    /** `PORT`: the ingress port. Default 3000. */
    port: r.PORT,
    /** `HOST`: the interface to listen on. Default `127.0.0.1` in sandbox mode, else `0.0.0.0`. */
    host: r.HOST ?? (sandbox ? '127.0.0.1' : '0.0.0.0'),
    /** `PUBLIC_BASE_URL` without a trailing slash: what Twilio calls and signs, and where callbacks go. */
    publicBaseUrl: r.PUBLIC_BASE_URL.replace(/\/$/, ''),
  })),

  twilio: section(
    [
      'TWILIO_ACCOUNT_SID',
      'TWILIO_AUTH_TOKEN',
      'TWILIO_FROM_NUMBER',
      'TWILIO_MESSAGING_SERVICE_SID',
      'TWILIO_API_BASE_URL',
      'TWILIO_CALLBACK_OVERRIDES',
      'TWILIO_WEBHOOK_SHARED_KEY',
      'TWILIO_WEBHOOK_SHARED_KEY_ID',
    ],
    (r, { sandbox, sandboxUrl, problem }): TwilioConfig => {
      if (sandbox && r.TWILIO_ACCOUNT_SID !== undefined)
        problem('SANDBOX=1 cannot be combined with TWILIO_ACCOUNT_SID: the sandbox accepts only its own credentials');
      if (!sandbox && r.TWILIO_ACCOUNT_SID === undefined)
        problem('TWILIO_ACCOUNT_SID is required (or SANDBOX=1 for the local sandbox)');
      if (!sandbox && r.TWILIO_AUTH_TOKEN === undefined) problem('TWILIO_AUTH_TOKEN is required outside sandbox mode');
      // Sandbox values only in sandbox mode: a process with real credentials never accepts the sandbox's token.
      return {
        accountSid: r.TWILIO_ACCOUNT_SID ?? (sandbox ? SANDBOX_DEFAULTS.twilioAccountSid : ''),
        authToken: r.TWILIO_AUTH_TOKEN ?? (sandbox ? SANDBOX_DEFAULTS.twilioAuthToken : ''),
        fromNumber:
          r.TWILIO_FROM_NUMBER ??
          (sandbox && !r.TWILIO_MESSAGING_SERVICE_SID ? SANDBOX_DEFAULTS.twilioFromNumber : undefined),
        messagingServiceSid: r.TWILIO_MESSAGING_SERVICE_SID,
        apiBaseUrl: r.TWILIO_API_BASE_URL ?? (sandbox ? sandboxUrl : undefined),
        callbackOverrides: r.TWILIO_CALLBACK_OVERRIDES,
        webhookSharedKey:
          r.TWILIO_WEBHOOK_SHARED_KEY !== undefined
            ? { secret: r.TWILIO_WEBHOOK_SHARED_KEY, id: r.TWILIO_WEBHOOK_SHARED_KEY_ID }
            : undefined,
      };
    },
  ),

  sms: section(
    [
      'SMS_MAX_PER_SECOND',
      'SMS_RECONCILE_AFTER',
      'SMS_RECONCILE_INTERVAL',
      'TWILIO_FROM_NUMBER',
      'TWILIO_MESSAGING_SERVICE_SID',
    ],
    (r, { sandbox, problem }) => {
      if (!sandbox && r.TWILIO_FROM_NUMBER === undefined && r.TWILIO_MESSAGING_SERVICE_SID === undefined)
        problem('TWILIO_FROM_NUMBER or TWILIO_MESSAGING_SERVICE_SID is required outside sandbox mode');
      return {
        /** `SMS_MAX_PER_SECOND`: outbound messages per second per sender, across every replica. Default 1. */
        maxPerSecond: r.SMS_MAX_PER_SECOND,
        /** `SMS_RECONCILE_AFTER` in milliseconds: an accepted SMS without a final status is fetched from Twilio after this. Default 10 min. */
        reconcileAfterMs: r.SMS_RECONCILE_AFTER,
        /** `SMS_RECONCILE_INTERVAL` in milliseconds: how often the reconciler runs. Default 1 min. */
        reconcileIntervalMs: r.SMS_RECONCILE_INTERVAL,
      };
    },
  ),

  /** Outbound calls: their rate, the hours they may ring at, and their retries. */
  outboundCalls: section(
    [
      'CALLS_MAX_PER_SECOND',
      'OUTBOUND_CALL_HOURS',
      'OUTBOUND_CALL_TIMEZONE',
      'OUTBOUND_CALL_RETRIES',
      'OUTBOUND_CALL_RETRY_AFTER',
    ],
    (r) => ({
      /** `CALLS_MAX_PER_SECOND`: calls placed per second, across every replica. Default 1. */
      maxPerSecond: r.CALLS_MAX_PER_SECOND,
      /** `OUTBOUND_CALL_HOURS`: the daily window calls may ring in. Default 09:00–20:00. */
      hours: r.OUTBOUND_CALL_HOURS,
      /** `OUTBOUND_CALL_TIMEZONE`: the window's zone for users whose own is not known. Default UTC. */
      defaultTimeZone: r.OUTBOUND_CALL_TIMEZONE,
      /** `OUTBOUND_CALL_RETRIES`: further attempts after busy, no-answer or failed. Default 1. */
      retries: r.OUTBOUND_CALL_RETRIES,
      /** `OUTBOUND_CALL_RETRY_AFTER` in milliseconds: the wait before such an attempt. Default 10 min. */
      retryAfterMs: r.OUTBOUND_CALL_RETRY_AFTER,
    }),
  ),

  workers: section(['WORKER_CONCURRENCY'], (r) => ({
    /** `WORKER_CONCURRENCY`: jobs each worker process runs at once. Default 10. */
    concurrency: r.WORKER_CONCURRENCY,
  })),

  metrics: section(['METRICS_PORT', 'METRICS_HOST', 'METRICS_TOKEN'], (r) => ({
    /** `METRICS_PORT`: where the process serves Prometheus metrics; unset serves none. */
    port: r.METRICS_PORT,
    /** `METRICS_HOST`: the interface of that endpoint. Default 127.0.0.1. */
    host: r.METRICS_HOST,
    /** `METRICS_TOKEN`: bearer token of `/metrics` on the ingress's public port; unset: not served there. */
    token: r.METRICS_TOKEN,
  })),

  openai: section(
    ['OPENAI_API_KEY', 'OPENAI_BASE_URL', 'OPENAI_MODEL'],
    (r, { sandbox, sandboxUrl, problem }): OpenAIConfig => {
      if (!sandbox && r.OPENAI_API_KEY === undefined) problem('OPENAI_API_KEY is required outside sandbox mode');
      return {
        apiKey: r.OPENAI_API_KEY ?? (sandbox ? SANDBOX_DEFAULTS.openaiApiKey : ''),
        baseUrl: r.OPENAI_BASE_URL ?? (sandbox ? `${sandboxUrl}/v1` : undefined),
        model: r.OPENAI_MODEL,
      };
    },
  ),

  /** Set when users are created through Supabase Auth's admin API instead of SQL. */
  supabase: section(['SUPABASE_URL', 'SUPABASE_SERVICE_ROLE_KEY'], (r, { sandbox, problem }) => {
    if ((r.SUPABASE_URL === undefined) !== (r.SUPABASE_SERVICE_ROLE_KEY === undefined) && !sandbox)
      problem('SUPABASE_URL and SUPABASE_SERVICE_ROLE_KEY must be set together');
    if (r.SUPABASE_URL === undefined) return undefined;
    return {
      url: r.SUPABASE_URL,
      serviceRoleKey: r.SUPABASE_SERVICE_ROLE_KEY ?? SANDBOX_DEFAULTS.supabaseServiceRoleKey,
    };
  }),

  internalApi: section(['INTERNAL_API_TOKEN'], (r) => ({
    /** Bearer token of `/api/*` and `/hooks/*`; unset disables both. */
    token: r.INTERNAL_API_TOKEN,
  })),

  /** Basic-auth credentials of `/admin/queues`; unset disables the dashboard. */
  dashboard: section(['DASHBOARD_USER', 'DASHBOARD_PASSWORD'], (r, { problem }) => {
    if ((r.DASHBOARD_USER === undefined) !== (r.DASHBOARD_PASSWORD === undefined))
      problem('DASHBOARD_USER and DASHBOARD_PASSWORD must be set together');
    if (r.DASHBOARD_USER === undefined || r.DASHBOARD_PASSWORD === undefined) return undefined;
    return { user: r.DASHBOARD_USER, password: r.DASHBOARD_PASSWORD };
  }),

  retention: section(['EVENT_RETENTION', 'ORPHANED_EVENT_RETENTION'], (r) => ({
    /** `EVENT_RETENTION` in milliseconds: age past which event-log rows are pruned. Default 90 days. */
    eventsMs: r.EVENT_RETENTION,
    /** `ORPHANED_EVENT_RETENTION` in milliseconds: age past which orphaned status events are pruned. Default 3 days. */
    orphanedEventsMs: r.ORPHANED_EVENT_RETENTION,
  })),

  transcripts: section(['TRANSCRIPT_GAP_GRACE'], (r) => ({
    /** `TRANSCRIPT_GAP_GRACE` in milliseconds: how long missing pieces are awaited. Default 30 s. */
    gapGraceMs: r.TRANSCRIPT_GAP_GRACE,
  })),

  /** How incoming calls are answered: our voice bot, an external one, or a recorded message. */
  voice: section(
    ['VOICE_BOT_WS_URL', 'VOICE_BOT', 'VOICE_BOT_PUBLIC_URL', 'VOICE_PORT', 'VOICE_BOT_TRANSFER_NUMBER'],
    (r, { sandbox, problem }): VoiceConfig => {
      const botOn = r.VOICE_BOT && r.VOICE_BOT_WS_URL === undefined;
      if (botOn && !sandbox && r.VOICE_BOT_PUBLIC_URL === undefined)
        problem(
          'VOICE_BOT_PUBLIC_URL is required with VOICE_BOT=on outside sandbox mode (the wss:// URL Twilio reaches)',
        );
      return {
        botWsUrl: r.VOICE_BOT_WS_URL,
        bot: r.VOICE_BOT,
        botPublicUrl: r.VOICE_BOT_PUBLIC_URL ?? (sandbox ? `ws://127.0.0.1:${r.VOICE_PORT}${VOICE_RELAY_PATH}` : ''),
        transferNumber: r.VOICE_BOT_TRANSFER_NUMBER,
      };
    },
  ),

  /** The voice service: its port and the bot's model, instructions and timings. */
  voiceBot: section(
    [
      'VOICE_PORT',
      'VOICE_BOT_MODEL',
      'VOICE_BOT_INSTRUCTIONS',
      'VOICE_BOT_INSTRUCTIONS_FILE',
      'VOICE_BOT_IDLE_AFTER',
      'VOICE_BOT_MAX_CALL',
      'VOICE_BOT_FIRST_TOKEN_TIMEOUT',
    ],
    (r): VoiceBotConfig => ({
      port: r.VOICE_PORT,
      model: r.VOICE_BOT_MODEL,
      instructions: r.VOICE_BOT_INSTRUCTIONS,
      instructionsFile: r.VOICE_BOT_INSTRUCTIONS_FILE,
      idleAfterMs: r.VOICE_BOT_IDLE_AFTER,
      maxCallMs: r.VOICE_BOT_MAX_CALL,
      firstTokenTimeoutMs: r.VOICE_BOT_FIRST_TOKEN_TIMEOUT,
    }),
  ),

  onboarding: section(
    [
      'ONBOARDING_REMINDER_DELAY',
      'ONBOARDING_MAX_REMINDERS',
      'ONBOARDING_SWEEP_INTERVAL',
      'VERIFICATION_MAX_ATTEMPTS',
      'VERIFICATION_CODE_SECRET',
      'SUPABASE_URL',
    ],
    (r, { sandbox, problem, warn }) => {
      if (r.VERIFICATION_CODE_SECRET === undefined) {
        if (sandbox) warn('VERIFICATION_CODE_SECRET is unset: codes are keyed with the fixed development secret');
        else problem('VERIFICATION_CODE_SECRET is required outside sandbox mode (at least 16 characters)');
      }
      return {
        /** `ONBOARDING_REMINDER_DELAY` in milliseconds. Default 24 h. */
        reminderDelayMs: r.ONBOARDING_REMINDER_DELAY,
        /** `ONBOARDING_MAX_REMINDERS`. Default 2. */
        maxReminders: r.ONBOARDING_MAX_REMINDERS,
        /** `ONBOARDING_SWEEP_INTERVAL` in milliseconds. Default 5 min. */
        sweepIntervalMs: r.ONBOARDING_SWEEP_INTERVAL,
        /** `VERIFICATION_MAX_ATTEMPTS`: wrong codes before the code is void. Default 5. */
        verificationMaxAttempts: r.VERIFICATION_MAX_ATTEMPTS,
        /** HMAC key of stored verification codes. */
        verificationCodeSecret: r.VERIFICATION_CODE_SECRET ?? SANDBOX_DEFAULTS.verificationCodeSecret,
        /** Bootstrap mode (no `SUPABASE_URL`): verification also confirms auth.users.phone itself. */
        confirmAuthPhone: r.SUPABASE_URL === undefined,
      };
    },
  ),

  /** What `npm start` itself reads to lay out the stack. */
  stack: section(['WORKER_REPLICAS', 'METRICS_PORT'], (r) => ({
    /** `WORKER_REPLICAS`: processes of each worker `npm start` runs. Default 1. */
    workerReplicas: r.WORKER_REPLICAS,
    /** `METRICS_PORT`: the first of the ports `npm start` gives its worker processes for metrics. */
    firstMetricsPort: r.METRICS_PORT,
  })),
};

/** Read by every process whatever its sections: the mode decides every fallback, and every process logs. */
const baseSection = section(['SANDBOX', 'SANDBOX_HOST', 'SANDBOX_PORT', 'LOG_LEVEL'], (r, { sandboxUrl, warn }) => {
  // Asked for, never inferred: a production process missing its credentials must refuse to start,
  // not accept webhooks signed with the sandbox's public token. `npm start` asks for it on a developer machine.
  const enabled = r.SANDBOX ?? false;
  if (enabled) warn('SANDBOX MODE: Twilio and OpenAI calls go to the local sandbox');
  return {
    sandbox: {
      /** Sandbox mode: Twilio and OpenAI calls go to the local sandbox. */
      enabled,
      host: r.SANDBOX_HOST,
      port: r.SANDBOX_PORT,
      /** `http://host:port` of the sandbox. */
      baseUrl: sandboxUrl,
    },
    /** `LOG_LEVEL`. Default `info`. */
    logLevel: r.LOG_LEVEL,
  };
});

/** The variables every process reads, whatever its sections. */
export const BASE_CONFIG_VARIABLES = baseSection.variables;

export type ConfigSectionName = keyof typeof configSections;

export const CONFIG_SECTION_NAMES = Object.keys(configSections) as ConfigSectionName[];

type SectionValue<S extends ConfigSectionName> = ReturnType<(typeof configSections)[S]['build']>;

/** The sections `S` of the configuration, plus what every process reads (sandbox mode, log level, warnings). */
export type ConfigOf<S extends ConfigSectionName> = { [K in S]: SectionValue<K> } & ReturnType<
  typeof baseSection.build
> & {
    /** Settings that are valid but should not reach production; every service logs them at start. */
    warnings: string[];
  };

/** The whole configuration: every section (`npm start`, the demo and tests, which run every service). */
export type Config = ConfigOf<ConfigSectionName>;

function readRaw(names: Iterable<ConfigVariableName>, env: NodeJS.ProcessEnv): { raw: Raw; problems: string[] } {
  const raw: Record<string, unknown> = {};
  const problems: string[] = [];
  for (const name of names) {
    const variable = configVariables[name];
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
  return { raw: raw as Raw, problems };
}

/**
 * Validates the variables of the given sections once; throws ConfigError with one line per
 * missing or invalid setting. In sandbox mode (`SANDBOX=1`) every external service falls back
 * to the local sandbox; otherwise each section requires its real credentials.
 */
export function loadConfigSections<S extends ConfigSectionName>(
  sections: readonly S[],
  env: NodeJS.ProcessEnv = process.env,
): ConfigOf<S> {
  const chosen = sections.map((name) => ({ name, definition: configSections[name] as ConfigSection<never, unknown> }));
  const names = new Set<ConfigVariableName>(baseSection.variables);
  for (const { definition } of chosen) for (const name of definition.variables) names.add(name);
  // Schema order, so the lines come out in the order the configuration reference lists the variables.
  const ordered = (Object.keys(configVariables) as ConfigVariableName[]).filter((name) => names.has(name));
  const { raw, problems } = readRaw(ordered, env);
  const warnings: string[] = [];
  // A variable that failed validation has reported itself; a section's own checks would only repeat it.
  const invalid = new Set(problems.map((line) => line.split(' ')[0]));
  const context: SectionContext = {
    sandbox: raw.SANDBOX ?? false,
    sandboxUrl: sandboxBaseUrl(raw.SANDBOX_HOST ?? '127.0.0.1', raw.SANDBOX_PORT ?? SANDBOX_DEFAULTS.port),
    problem: (line) => {
      if (!invalid.has(line.split(' ')[0])) problems.push(line);
    },
    warn: (line) => warnings.push(line),
  };
  const config: Record<string, unknown> = { ...baseSection.build(raw, context) };
  for (const { name, definition } of chosen) config[name] = definition.build(raw as never, context);
  if (problems.length > 0) throw new ConfigError(problems);
  return { ...config, warnings } as ConfigOf<S>;
}

/** Every section: for `npm start`, the demo and tests, which run or stand in for every service. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  return loadConfigSections(CONFIG_SECTION_NAMES, env);
}

/**
 * `loadConfigSections` for a process's entry point: a bad configuration prints one line per
 * problem on stderr and ends the process with exit code 1.
 */
export function loadConfigOrExit<S extends ConfigSectionName>(
  sections: readonly S[],
  env: NodeJS.ProcessEnv = process.env,
): ConfigOf<S> {
  try {
    return loadConfigSections(sections, env);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    process.stderr.write(`${error.message}\n`);
    process.exit(1);
  }
}
