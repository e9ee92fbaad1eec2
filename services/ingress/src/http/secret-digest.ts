import { createHash, timingSafeEqual } from 'node:crypto';

/** SHA-256 of a secret: digests have one length, so comparing them leaks neither content nor length. */
export function secretDigest(value: string): Buffer {
  return createHash('sha256').update(value).digest();
}

/** Whether `given` is the secret whose digest is `expected`, in constant time. */
export function matchesSecret(given: string, expected: Buffer): boolean {
  return timingSafeEqual(secretDigest(given), expected);
}
