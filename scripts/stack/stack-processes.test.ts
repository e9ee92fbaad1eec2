import { describe, expect, it } from '@jest/globals';
import { loadConfig } from '@series-killer/shared';
import { localSecrets } from './stack-processes.ts';

const PRODUCTION = {
  TWILIO_ACCOUNT_SID: `AC${'a'.repeat(32)}`,
  TWILIO_AUTH_TOKEN: 'token',
  TWILIO_FROM_NUMBER: '+15551234567',
  OPENAI_API_KEY: 'sk-test',
  VERIFICATION_CODE_SECRET: 's'.repeat(32),
};

describe('localSecrets', () => {
  it('generates a dashboard login and an internal API token in sandbox mode only', () => {
    expect(Object.keys(localSecrets(loadConfig({ SANDBOX: '1' }))).sort()).toEqual([
      'DASHBOARD_PASSWORD',
      'DASHBOARD_USER',
      'INTERNAL_API_TOKEN',
    ]);
  });

  it('leaves the dashboard disabled with real credentials and no DASHBOARD_*, as the configuration says', () => {
    expect(localSecrets(loadConfig(PRODUCTION))).toEqual({});
  });

  it('generates nothing the operator has set', () => {
    const config = loadConfig({ SANDBOX: '1', DASHBOARD_USER: 'ops', DASHBOARD_PASSWORD: 'p'.repeat(16) });
    expect(Object.keys(localSecrets(config))).toEqual(['INTERNAL_API_TOKEN']);
  });
});
