import { describe, expect, it } from '@jest/globals';
import { callerPhoneNumber, isWithheldCallerId, WITHHELD_CALLER_IDS } from './caller-id.ts';

describe('caller IDs', () => {
  it.each([...WITHHELD_CALLER_IDS, '86282452253', '7378742833', 'anonymous', ' RESTRICTED ', 'unknown'])(
    'reads %p as a withheld number, not a phone number',
    (value) => {
      expect(isWithheldCallerId(value)).toBe(true);
      expect(callerPhoneNumber(value)).toBeUndefined();
    },
  );

  it.each([
    ['+19713364433', '+19713364433'],
    ['19713364433', '+19713364433'],
    ['+862824522530', '+862824522530'],
  ])('reads %p as the phone number %p', (value, expected) => {
    expect(isWithheldCallerId(value)).toBe(false);
    expect(callerPhoneNumber(value)).toBe(expected);
  });

  it.each(['client:alice', 'sip:alice@example.com', ''])('reads %p as no phone number', (value) => {
    expect(callerPhoneNumber(value)).toBeUndefined();
  });
});
