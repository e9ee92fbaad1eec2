import { describe, expect, it } from '@jest/globals';
import { deriveVerificationCode, hashVerificationCode, verificationCodeMatches } from './verification-code.ts';

const SECRET = 'a-test-secret-of-enough-length';
const USER = '6f1c2f0e-3d1b-4e55-9a1e-2b9f1c0d4e77';

describe('verification codes', () => {
  it('derives the same 6-digit code for the same message, and different ones otherwise', () => {
    const code = deriveVerificationCode(SECRET, USER, 41);
    expect(code).toMatch(/^\d{6}$/);
    expect(deriveVerificationCode(SECRET, USER, 41)).toBe(code);
    const others = new Set([42, 43, 44, 45].map((id) => deriveVerificationCode(SECRET, USER, id)));
    expect(others.size).toBeGreaterThan(1);
    expect(deriveVerificationCode('another-secret-of-enough-length', USER, 41)).not.toBe(code);
  });

  it('stores a keyed hash that only the right code, user and secret match', () => {
    const hash = hashVerificationCode(SECRET, USER, '012345');
    expect(hash).toMatch(/^[0-9a-f]{64}$/);
    expect(verificationCodeMatches(SECRET, USER, '012345', hash)).toBe(true);
    expect(verificationCodeMatches(SECRET, USER, '012346', hash)).toBe(false);
    expect(verificationCodeMatches(SECRET, '00000000-0000-4000-8000-000000000000', '012345', hash)).toBe(false);
    expect(verificationCodeMatches('another-secret-of-enough-length', USER, '012345', hash)).toBe(false);
    expect(verificationCodeMatches(SECRET, USER, '012345', 'not-a-hash')).toBe(false);
  });
});
