import { describe, expect, it } from '@jest/globals';
import { webhookSigner } from './twilio-signature.ts';

const base64OfHex = (hex: string) => Buffer.from(hex, 'hex').toString('base64');

describe('webhookSigner', () => {
  it("gives the HMACs of RFC 2202 and RFC 4231's known answers", () => {
    // Test case 2 of both RFCs: key "Jefe", data "what do ya want for nothing?".
    const data = 'what do ya want for nothing?';
    expect(webhookSigner('HMAC_SHA1', 'Jefe')('', data)).toBe(base64OfHex('effcdf6ae5eb2fa2d27416d5f184df9c259a7c79'));
    expect(webhookSigner('HMAC_SHA256', 'Jefe')('what do ya ', 'want for nothing?')).toBe(
      base64OfHex('5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843'),
    );
  });

  it('hashes a key longer than the hash block first, and keeps one of exactly a block as it is', () => {
    // Answers computed independently with Python's hmac module.
    const url = 'https://sk.example/twilio/sms/status';
    expect(webhookSigner('HMAC_SHA1', 'k'.repeat(80))(url, 'MessageSidSM1')).toBe('fKxR+kOyArhKhKBm9u/9CPR6jXI=');
    expect(webhookSigner('HMAC_SHA256', 'k'.repeat(80))(url, 'MessageSidSM1')).toBe(
      'Ll/dMWAT96HQ133+PKzOuj6J0T8UicjefyqRpWlMxuQ=',
    );
    expect(webhookSigner('HMAC_SHA1', 'k'.repeat(64))('', 'x')).toBe('LDHq32jZupca0pM50oznJbA8EfY=');
  });

  it('reads key and text as UTF-8, and gives the same answer on every call', () => {
    const sign = webhookSigner('HMAC_SHA1', 'clé');
    expect(sign('Body', '¿qué tal? 👋')).toBe('RcfMr2325nRgJ/5s5MqBdTHQqJU=');
    expect(sign('Body', '¿qué tal? 👋')).toBe('RcfMr2325nRgJ/5s5MqBdTHQqJU=');
  });
});
