import { describe, expect, it } from '@jest/globals';
import { withDeveloperSandbox } from './developer-sandbox.ts';

describe('npm start / npm run demo on a developer machine', () => {
  it('asks for sandbox mode when no Twilio account is set and NODE_ENV is not production', () => {
    expect(withDeveloperSandbox({}).SANDBOX).toBe('1');
    expect(withDeveloperSandbox({ NODE_ENV: 'development' }).SANDBOX).toBe('1');
  });

  it('never asks for it in production or with a Twilio account, and keeps an explicit choice', () => {
    expect(withDeveloperSandbox({ NODE_ENV: 'production' }).SANDBOX).toBeUndefined();
    expect(withDeveloperSandbox({ TWILIO_ACCOUNT_SID: `AC${'a'.repeat(32)}` }).SANDBOX).toBeUndefined();
    expect(withDeveloperSandbox({ SANDBOX: '0' }).SANDBOX).toBe('0');
    expect(withDeveloperSandbox({ NODE_ENV: 'production', SANDBOX: '1' }).SANDBOX).toBe('1');
  });
});
