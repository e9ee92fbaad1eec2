/**
 * A URL Twilio calls back: `publicBaseUrl` + `path`, plus the connection overrides as its
 * fragment (`#rc=3&rp=all`: retry 5xx answers and timeouts three times). Twilio reads the
 * fragment and never sends it; an empty `overrides` leaves the URL bare.
 */
export function twilioCallbackUrl(publicBaseUrl: string, path: string, overrides: string): string {
  return overrides ? `${publicBaseUrl}${path}#${overrides}` : `${publicBaseUrl}${path}`;
}
