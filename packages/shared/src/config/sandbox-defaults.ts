/**
 * Credentials and addresses of the local sandbox (packages/sandbox). The sandbox accepts
 * exactly these, and the configuration falls back to them in sandbox mode.
 */
export const SANDBOX_DEFAULTS = {
  twilioAccountSid: `AC${'0'.repeat(32)}`,
  twilioAuthToken: 'sandbox-auth-token',
  /** Twilio's magic "valid" sender number for test credentials. */
  twilioFromNumber: '+15005550006',
  openaiApiKey: 'sandbox-openai-key',
  supabaseServiceRoleKey: 'sandbox-service-role-key',
  verificationCodeSecret: 'sandbox-verification-secret-not-for-production',
  port: 3100,
} as const;

export function sandboxBaseUrl(host: string, port: number): string {
  return `http://${host}:${port}`;
}
