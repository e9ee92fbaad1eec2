import { toE164 } from './e164.ts';

/**
 * What Twilio puts in `From` when the caller's number is withheld: the keypad spellings of
 * UNAVAILABLE, ANONYMOUS and RESTRICTED, or the words themselves. None of them is a user.
 */
export const WITHHELD_CALLER_IDS = [
  '+86282452253',
  '+266696687',
  '+7378742833',
  'Anonymous',
  'Restricted',
  'Unknown',
] as const;

const withheldDigits = new Set(WITHHELD_CALLER_IDS.filter((id) => id.startsWith('+')).map((id) => id.slice(1)));
const withheldWords = new Set(WITHHELD_CALLER_IDS.filter((id) => !id.startsWith('+')).map((id) => id.toLowerCase()));

/** Whether a caller ID is one of Twilio's placeholders for a withheld number (with or without `+`, any case). */
export function isWithheldCallerId(value: string): boolean {
  const trimmed = value.trim();
  return withheldDigits.has(trimmed.replace(/^\+/, '')) || withheldWords.has(trimmed.toLowerCase());
}

/**
 * The E.164 number of a call's party, or undefined when it is no phone number: a withheld
 * caller ID, `client:…`, `sip:…`. Digits alone are read as toE164 reads them.
 */
export function callerPhoneNumber(value: string): string | undefined {
  return isWithheldCallerId(value) ? undefined : toE164(value);
}
