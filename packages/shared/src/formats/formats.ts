/**
 * The formats the product checks in more than one place (config, job payloads, webhooks, the
 * sandbox), declared once.
 */

/** A Twilio SID: a two-letter prefix (one of `prefixes`, e.g. `AC`, `SM`/`MM`, `CA`, `MG`) and 32 hex digits. */
export function twilioSidPattern(...prefixes: string[]): RegExp {
  return new RegExp(`^(${prefixes.join('|')})[0-9a-fA-F]{32}$`);
}

/** An E.164 phone number: `+`, a country code that does not start with 0, at most 15 digits in all. */
export const E164_PATTERN = /^\+[1-9]\d{1,14}$/;

/** Digits in a verification code. */
export const VERIFICATION_CODE_DIGITS = 6;

/** A whole message that is a verification code. */
export const VERIFICATION_CODE_PATTERN = new RegExp(`^\\d{${VERIFICATION_CODE_DIGITS}}$`);

/** A verification code inside a text (the code is its first group). */
export const VERIFICATION_CODE_IN_TEXT = new RegExp(`\\b(\\d{${VERIFICATION_CODE_DIGITS}})\\b`);
