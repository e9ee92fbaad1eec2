import { randomBytes } from 'node:crypto';

/** The two-letter prefixes of the Twilio SIDs tests make up (message, call, account, service, …). */
export type SidPrefix = 'AC' | 'CA' | 'GT' | 'MG' | 'RE' | 'SM' | 'TR' | 'VX';

/** A Twilio-shaped SID: the prefix and 32 random hex digits. */
export function fakeSid(prefix: SidPrefix): string {
  return `${prefix}${randomBytes(16).toString('hex')}`;
}

let phoneSequence = 0;

/** A valid US number in the 415-555 exchange, distinct within a test file (each file has its own database). */
export function uniqueTestPhone(): string {
  phoneSequence += 1;
  return `+1415555${1000 + phoneSequence}`;
}
