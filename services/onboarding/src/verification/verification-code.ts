import { createHmac, timingSafeEqual } from 'node:crypto';
import { VERIFICATION_CODE_DIGITS } from '@series-killer/shared';

/**
 * Verification codes are derived, not drawn and kept: the code of a message is the HMAC of
 * (user id, onboarding_messages row id) under the server secret, read as 6 decimal digits.
 * Without the secret it is as unpredictable as a random draw (HMAC-SHA256 is a PRF), and it
 * lets a retried job rebuild the exact text it had to send after a crash between commit and
 * enqueue, while the database holds only a keyed hash of the code and the plaintext never
 * rests anywhere. With the secret the stored hash could be brute-forced over a million
 * codes anyway, so deriving the code adds no exposure.
 */
export function deriveVerificationCode(secret: string, userId: string, messageId: number): string {
  const digest = createHmac('sha256', secret).update(`verification-code.${userId}.${messageId}`).digest();
  // 48 bits reduced mod 10^6: the bias (2^48 mod 10^6 / 2^48) is below 10^-8.
  return (digest.readUIntBE(0, 6) % 10 ** VERIFICATION_CODE_DIGITS).toString().padStart(VERIFICATION_CODE_DIGITS, '0');
}

/** What `phone_links.verification_code` stores: a keyed hash of the code, bound to its user. */
export function hashVerificationCode(secret: string, userId: string, code: string): string {
  return createHmac('sha256', secret).update(`verification-hash.${userId}.${code}`).digest('hex');
}

/** Constant-time check of a submitted code against the stored hash. */
export function verificationCodeMatches(secret: string, userId: string, code: string, storedHash: string): boolean {
  const expected = Buffer.from(storedHash, 'hex');
  const actual = Buffer.from(hashVerificationCode(secret, userId, code), 'hex');
  return expected.length === actual.length && timingSafeEqual(expected, actual);
}
