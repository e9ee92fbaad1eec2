import { describe, expect, it } from '@jest/globals';
import { maskPhone, toAuthPhone, toE164 } from './e164.ts';

describe('phone numbers', () => {
  it.each([
    ['19713364433', '+19713364433'],
    ['+1 (971) 336-4433', '+19713364433'],
    ['(971) 336-4433', '+19713364433'],
    ['+44 7700 900123', '+447700900123'],
    ['+15005550006', '+15005550006'],
  ])('normalises %s to %s', (input, expected) => {
    expect(toE164(input)).toBe(expected);
  });

  it.each(['', 'anonymous', '123', '+1555'])('rejects %p', (input) => {
    expect(toE164(input)).toBeUndefined();
  });

  it('converts to Supabase Auth form and masks for logs', () => {
    expect(toAuthPhone('+19713364433')).toBe('19713364433');
    expect(maskPhone('+19713364433')).toBe('+1971***4433');
  });
});
