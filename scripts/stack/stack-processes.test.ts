import { describe, expect, it } from '@jest/globals';
import { loadConfig } from '@series-killer/shared';
import { localSecrets, stackProcesses } from './stack-processes.ts';

const SAVED = () => ({
  INTERNAL_API_TOKEN: 'saved-token',
  DASHBOARD_USER: 'admin',
  DASHBOARD_PASSWORD: 'saved-password',
});

const PRODUCTION = {
  TWILIO_ACCOUNT_SID: `AC${'a'.repeat(32)}`,
  TWILIO_AUTH_TOKEN: 'token',
  TWILIO_FROM_NUMBER: '+15551234567',
  OPENAI_API_KEY: 'sk-test',
  VERIFICATION_CODE_SECRET: 's'.repeat(32),
  VOICE_BOT_PUBLIC_URL: 'wss://voice.sk.example.com/voice/relay',
};

describe('localSecrets', () => {
  it('fills in the saved dashboard login and internal API token in sandbox mode only', () => {
    expect(localSecrets(loadConfig({ SANDBOX: '1' }), SAVED)).toEqual(SAVED());
  });

  it('leaves the dashboard disabled with real credentials and no DASHBOARD_*, as the configuration says', () => {
    expect(localSecrets(loadConfig(PRODUCTION), SAVED)).toEqual({});
  });

  it('generates nothing the operator has set', () => {
    const config = loadConfig({ SANDBOX: '1', DASHBOARD_USER: 'ops', DASHBOARD_PASSWORD: 'p'.repeat(16) });
    expect(localSecrets(config, SAVED)).toEqual({ INTERNAL_API_TOKEN: 'saved-token' });
  });
});

describe('stackProcesses', () => {
  it.each([
    ['on', {}],
    ['off', { VOICE_BOT: 'off' }],
    ['another bot', { VOICE_BOT_WS_URL: 'wss://bot.example.com/relay' }],
  ])('runs the voice service, which places outbound calls, with our bot %s', (_, env) => {
    const names = stackProcesses(loadConfig({ SANDBOX: '1', ...env }), {}).map((spec) => spec.name);
    expect(names).toEqual(['sandbox', 'ingress', 'sms', 'onboarding', 'summarizer', 'voice']);
  });
});
