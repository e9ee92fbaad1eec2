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

describe('PUBLIC_BASE_URL on a developer machine', () => {
  it('follows PORT when unset, so callbacks reach a stack moved to another port', () => {
    expect(withDeveloperSandbox({ PORT: '3001' }).PUBLIC_BASE_URL).toBe('http://127.0.0.1:3001');
    expect(withDeveloperSandbox({}).PUBLIC_BASE_URL).toBe('http://127.0.0.1:3000');
  });

  it('keeps one that is set, and is left alone outside a developer machine', () => {
    expect(withDeveloperSandbox({ PORT: '3001', PUBLIC_BASE_URL: 'https://x.example' }).PUBLIC_BASE_URL).toBe(
      'https://x.example',
    );
    expect(withDeveloperSandbox({ NODE_ENV: 'production', PORT: '3001' }).PUBLIC_BASE_URL).toBeUndefined();
  });
});
