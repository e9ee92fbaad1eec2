import { describe, expect, it } from '@jest/globals';
import { loadConfigSections } from '../config/load-config.ts';
import { twilioCallbackUrl } from './callback-url.ts';

describe('twilioCallbackUrl', () => {
  it('carries the connection overrides that make Twilio retry 5xx and timeouts, by default', () => {
    const { twilio } = loadConfigSections(['twilio'], { SANDBOX: '1', LOG_LEVEL: 'silent' });
    expect(twilio.callbackOverrides).toBe('rc=3&rp=all');
    expect(twilioCallbackUrl('https://sk.example', '/twilio/sms/status', twilio.callbackOverrides)).toBe(
      'https://sk.example/twilio/sms/status#rc=3&rp=all',
    );
  });

  it('is bare with TWILIO_CALLBACK_OVERRIDES=none, and refuses what is not key=value pairs', () => {
    const { twilio } = loadConfigSections(['twilio'], {
      SANDBOX: '1',
      LOG_LEVEL: 'silent',
      TWILIO_CALLBACK_OVERRIDES: 'none',
    });
    expect(twilioCallbackUrl('https://sk.example', '/twilio/sms/status', twilio.callbackOverrides)).toBe(
      'https://sk.example/twilio/sms/status',
    );
    expect(() =>
      loadConfigSections(['twilio'], { SANDBOX: '1', LOG_LEVEL: 'silent', TWILIO_CALLBACK_OVERRIDES: '#rc=3' }),
    ).toThrow('TWILIO_CALLBACK_OVERRIDES');
  });
});
