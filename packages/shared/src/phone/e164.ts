import { parsePhoneNumberFromString } from 'libphonenumber-js';

/**
 * Normalises a phone number to E.164 (`+19713364433`). Supabase Auth stores phones without
 * the `+` (`19713364433`), so digits alone are read as already carrying a country code.
 * Returns undefined when the input cannot be a phone number.
 */
export function toE164(value: string, defaultCountry: 'US' = 'US'): string | undefined {
  const trimmed = value.trim();
  if (trimmed === '') return undefined;
  const withPlus = /^\d{11,15}$/.test(trimmed) ? `+${trimmed}` : trimmed;
  const parsed = parsePhoneNumberFromString(withPlus, defaultCountry);
  // Possible, not valid: numbering-plan metadata lags real allocations, and Twilio is the authority.
  if (!parsed?.isPossible()) return undefined;
  return parsed.number;
}

/** Supabase Auth's form of a phone number: E.164 without the leading `+`. */
export function toAuthPhone(e164: string): string {
  return e164.replace(/^\+/, '');
}

/** `+19713364433` → `+1971***4433`: enough to tell numbers apart in logs, not to dial them. */
export function maskPhone(value: string): string {
  const digits = value.replace(/^\+/, '');
  if (digits.length < 7) return '***';
  return `${value.startsWith('+') ? '+' : ''}${digits.slice(0, 4)}***${digits.slice(-4)}`;
}
