import { parsePhoneNumberFromString } from 'libphonenumber-js';

/**
 * Twilio's geographic parameters for one side of a message or call (`FromCountry`,
 * `FromState`, `FromCity`, `FromZip`, …). Twilio fills in what its number data knows and
 * sends the rest empty; the sandbox knows the country only.
 */
export function geographicParams(prefix: string, phone: string): Record<string, string> {
  const country = parsePhoneNumberFromString(phone)?.country ?? '';
  return {
    [`${prefix}Country`]: country,
    [`${prefix}State`]: '',
    [`${prefix}City`]: '',
    [`${prefix}Zip`]: '',
  };
}
