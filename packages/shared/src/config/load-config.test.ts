import { describe, expect, it } from '@jest/globals';
import { ConfigError } from '../errors/errors.ts';
import { loadConfig, loadConfigSections } from './load-config.ts';
import { SANDBOX_DEFAULTS } from './sandbox-defaults.ts';

function problemsOf(env: Record<string, string>): string[] {
  try {
    loadConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  return [];
}

describe('loadConfig', () => {
  it('runs on its defaults in sandbox mode', () => {
    const config = loadConfig({ SANDBOX: '1' });
    expect(config.sandbox.enabled).toBe(true);
    expect(config.http.host).toBe('127.0.0.1');
    expect(loadConfig({ SANDBOX: '1', HOST: '0.0.0.0' }).http.host).toBe('0.0.0.0');
    expect(config.database.url).toBe('postgres://postgres:postgres@127.0.0.1:5432/postgres');
    expect(config.database.directUrl).toBe(config.database.url);
    expect(config.twilio.accountSid).toBe(SANDBOX_DEFAULTS.twilioAccountSid);
    expect(config.twilio.apiBaseUrl).toBe('http://127.0.0.1:3100');
    expect(config.openai.baseUrl).toBe('http://127.0.0.1:3100/v1');
    expect(config.onboarding.reminderDelayMs).toBe(24 * 60 * 60 * 1000);
    expect(config.internalApi.token).toBeUndefined();
    expect(config.dashboard).toBeUndefined();
    expect(config.warnings).toEqual([
      'SANDBOX MODE: Twilio and OpenAI calls go to the local sandbox',
      'VERIFICATION_CODE_SECRET is unset: codes are keyed with the fixed development secret',
    ]);
  });

  it.each([
    ['DATABASE_URL', 'not a url', 'DATABASE_URL must be a URL (postgres://…) (got "not a url")'],
    ['DATABASE_POOL_SIZE', '0', 'DATABASE_POOL_SIZE Too small: expected number to be >0 (got "0")'],
    ['PORT', 'eighty', 'PORT Invalid input: expected number, received NaN (got "eighty")'],
    ['QUEUE_PREFIX', 'a:b', 'QUEUE_PREFIX must be letters, digits, - or _ (got "a:b")'],
    ['TWILIO_ACCOUNT_SID', 'AC123', 'TWILIO_ACCOUNT_SID must be AC followed by 32 hex digits (got "AC123")'],
    [
      'TWILIO_FROM_NUMBER',
      '5551234',
      'TWILIO_FROM_NUMBER must be an E.164 number such as +15551234567 (got "5551234")',
    ],
    [
      'ONBOARDING_REMINDER_DELAY',
      'tomorrow',
      'ONBOARDING_REMINDER_DELAY must be a duration such as 90s, 15m or 24h (got "tomorrow")',
    ],
    ['REDIS_CLUSTER_NODES', 'a,b:x', 'REDIS_CLUSTER_NODES must be comma-separated host:port pairs (got "a,b:x")'],
    ['VOICE_BOT_WS_URL', 'http://bot', 'VOICE_BOT_WS_URL must be a ws:// or wss:// URL (got "http://bot")'],
    ['SANDBOX', 'maybe', 'SANDBOX Invalid option: expected one of "0"|"1"|"true"|"false" (got "maybe")'],
  ])('%s=%s gets its own readable line', (name, value, line) => {
    expect(problemsOf({ SANDBOX: '1', [name]: value })).toContain(line);
  });

  it('reports every problem at once, one line each', () => {
    const problems = problemsOf({ SANDBOX: '1', DATABASE_URL: 'x', REDIS_URL: 'y', PORT: '-1' });
    expect(problems).toHaveLength(3);
    expect(problems.map((p) => p.split(' ')[0])).toEqual(['DATABASE_URL', 'REDIS_URL', 'PORT']);
  });

  it('requires real credentials and the code secret outside sandbox mode', () => {
    const problems = problemsOf({ TWILIO_ACCOUNT_SID: `AC${'a'.repeat(32)}` });
    expect(problems).toEqual([
      'TWILIO_AUTH_TOKEN is required outside sandbox mode',
      'TWILIO_FROM_NUMBER or TWILIO_MESSAGING_SERVICE_SID is required outside sandbox mode',
      'OPENAI_API_KEY is required outside sandbox mode',
      'VOICE_BOT_PUBLIC_URL is required with VOICE_BOT=on outside sandbox mode (the wss:// URL Twilio reaches)',
      'VERIFICATION_CODE_SECRET is required outside sandbox mode (at least 16 characters)',
    ]);
  });

  it('points the voice bot at the local voice service in sandbox mode, and needs no public URL without our bot', () => {
    expect(loadConfig({ SANDBOX: '1', VOICE_PORT: '3999' }).voice).toEqual({
      bot: true,
      botPublicUrl: 'ws://127.0.0.1:3999/voice/relay',
    });
    const production = {
      TWILIO_ACCOUNT_SID: `AC${'a'.repeat(32)}`,
      TWILIO_AUTH_TOKEN: 'token',
      TWILIO_FROM_NUMBER: '+15551234567',
      OPENAI_API_KEY: 'sk-test',
      VERIFICATION_CODE_SECRET: 's'.repeat(32),
    };
    expect(problemsOf({ ...production, VOICE_BOT: 'off' })).toEqual([]);
    expect(problemsOf({ ...production, VOICE_BOT_WS_URL: 'wss://bot.example.com/relay' })).toEqual([]);
    expect(problemsOf({ ...production, VOICE_BOT: 'maybe' })[0]).toMatch(/^VOICE_BOT /);
  });

  it('accepts a complete production configuration and never points it at the sandbox', () => {
    const config = loadConfig({
      TWILIO_ACCOUNT_SID: `AC${'a'.repeat(32)}`,
      TWILIO_AUTH_TOKEN: 'token',
      TWILIO_MESSAGING_SERVICE_SID: `MG${'b'.repeat(32)}`,
      OPENAI_API_KEY: 'sk-test',
      VERIFICATION_CODE_SECRET: 's'.repeat(32),
      VOICE_BOT_PUBLIC_URL: 'wss://voice.example.com/voice/relay',
      DATABASE_URL: 'postgres://u:p@pooler:6543/postgres',
      DATABASE_URL_DIRECT: 'postgres://u:p@db:5432/postgres',
      REDIS_CLUSTER_NODES: '10.0.0.1:7000, 10.0.0.2:7001',
    });
    expect(config.sandbox.enabled).toBe(false);
    expect(config.twilio.apiBaseUrl).toBeUndefined();
    expect(config.twilio.fromNumber).toBeUndefined();
    expect(config.openai.baseUrl).toBeUndefined();
    expect(config.database.directUrl).toBe('postgres://u:p@db:5432/postgres');
    expect(config.http.host).toBe('0.0.0.0');
    expect(config.warnings).toEqual([]);
    expect(config.redis.clusterNodes).toEqual([
      { host: '10.0.0.1', port: 7000 },
      { host: '10.0.0.2', port: 7001 },
    ]);
  });

  it('never enters sandbox mode unasked: without SANDBOX=1 and without Twilio credentials it refuses to start', () => {
    const envs: Record<string, string>[] = [
      {},
      { NODE_ENV: 'production' },
      { NODE_ENV: 'development' },
      { SANDBOX: '0' },
    ];
    for (const env of envs) {
      const problems = problemsOf(env);
      expect(problems).toContain('TWILIO_ACCOUNT_SID is required (or SANDBOX=1 for the local sandbox)');
      expect(problems).toContain('TWILIO_AUTH_TOKEN is required outside sandbox mode');
      expect(problems).toContain('VERIFICATION_CODE_SECRET is required outside sandbox mode (at least 16 characters)');
    }
  });

  it('enters sandbox mode in production only when SANDBOX=1 is set explicitly', () => {
    expect(loadConfig({ NODE_ENV: 'production', SANDBOX: '1' }).sandbox.enabled).toBe(true);
  });

  it('never pairs real credentials with the sandbox: they refuse SANDBOX=1 and never take its auth token', () => {
    const real = {
      TWILIO_ACCOUNT_SID: `AC${'a'.repeat(32)}`,
      TWILIO_AUTH_TOKEN: 'real-token',
      TWILIO_FROM_NUMBER: '+15551234567',
      OPENAI_API_KEY: 'sk-test',
      VERIFICATION_CODE_SECRET: 's'.repeat(32),
      VOICE_BOT_PUBLIC_URL: 'wss://voice.example.com/voice/relay',
    };
    expect(problemsOf({ ...real, SANDBOX: '1' })).toEqual([
      'SANDBOX=1 cannot be combined with TWILIO_ACCOUNT_SID: the sandbox accepts only its own credentials',
    ]);
    const { TWILIO_AUTH_TOKEN: _token, ...withoutToken } = real;
    expect(problemsOf(withoutToken)).toEqual(['TWILIO_AUTH_TOKEN is required outside sandbox mode']);
    const config = loadConfig(real);
    expect(config.twilio.authToken).toBe('real-token');
    expect(config.sandbox.enabled).toBe(false);
  });

  it('needs dashboard user and password together', () => {
    expect(problemsOf({ SANDBOX: '1', DASHBOARD_USER: 'ops' })).toEqual([
      'DASHBOARD_USER and DASHBOARD_PASSWORD must be set together',
    ]);
  });

  describe('in sections', () => {
    const sectionProblems = (sections: Parameters<typeof loadConfigSections>[0], env: Record<string, string>) => {
      try {
        loadConfigSections(sections, env);
      } catch (error) {
        if (error instanceof ConfigError) return error.problems;
        throw error;
      }
      return [];
    };

    it('gives a process only the sections it names, and validates only their variables', () => {
      const config = loadConfigSections(['database'], { OPENAI_BASE_URL: 'not a url', PORT: 'eighty' });
      expect(Object.keys(config).sort()).toEqual(['database', 'logLevel', 'sandbox', 'warnings']);
    });

    it('needs only the database for migrations, whatever the mode', () => {
      expect(sectionProblems(['database'], { NODE_ENV: 'production' })).toEqual([]);
    });

    it('requires each secret only of the sections that use it', () => {
      const twilio = { TWILIO_ACCOUNT_SID: `AC${'a'.repeat(32)}`, TWILIO_AUTH_TOKEN: 'token' };
      // The SMS worker: no OpenAI key, no code secret.
      expect(
        sectionProblems(['database', 'redis', 'http', 'twilio', 'sms', 'workers'], {
          ...twilio,
          TWILIO_FROM_NUMBER: '+15551234567',
        }),
      ).toEqual([]);
      // The summarizer: no Twilio at all.
      expect(sectionProblems(['database', 'redis', 'openai', 'workers'], { OPENAI_API_KEY: 'sk-live' })).toEqual([]);
      // The onboarding worker: neither Twilio nor OpenAI.
      expect(
        sectionProblems(['database', 'redis', 'onboarding', 'workers'], { VERIFICATION_CODE_SECRET: 's'.repeat(16) }),
      ).toEqual([]);
      expect(sectionProblems(['openai'], {})).toEqual(['OPENAI_API_KEY is required outside sandbox mode']);
      expect(sectionProblems(['sms'], {})).toEqual([
        'TWILIO_FROM_NUMBER or TWILIO_MESSAGING_SERVICE_SID is required outside sandbox mode',
      ]);
    });

    it('tells onboarding whether Supabase Auth confirms phones without handing it the service-role key', () => {
      const config = loadConfigSections(['onboarding'], { SANDBOX: '1', SUPABASE_URL: 'https://p.supabase.co' });
      expect(config.onboarding.confirmAuthPhone).toBe(false);
      expect('supabase' in config).toBe(false);
    });
  });
});
