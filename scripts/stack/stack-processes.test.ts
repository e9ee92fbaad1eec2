import { describe, expect, it } from '@jest/globals';
import { loadConfig } from '@series-killer/shared';
import { localSecrets } from './stack-processes.ts';

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
