/**
 * Every text the onboarding flow sends, in one place. Plain ASCII keeps each one in the
 * GSM-7 alphabet (one 160-character segment, not a 70-character UCS-2 one).
 */

const BRAND = 'Series Killer';

export function welcomeText(firstName: string): string {
  return `Hi ${firstName}, welcome to ${BRAND}! We'll text you a code to confirm this number.`;
}

export function verificationText(code: string): string {
  return `Your ${BRAND} verification code is ${code}. Reply with it to confirm your number.`;
}

export function reminderText(code: string): string {
  return `Still there? Your new ${BRAND} verification code is ${code}. Reply with it to finish signing up.`;
}

export function confirmationText(): string {
  return `Thanks, your number is confirmed. Welcome to ${BRAND}!`;
}

export function wrongCodeText(): string {
  return `That code didn't match. Please check it and try again.`;
}

export function codeVoidText(): string {
  return `Too many wrong tries: that code has expired. We'll text you a new one soon.`;
}
