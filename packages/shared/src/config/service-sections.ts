import type { ConfigSectionName } from './load-config.ts';

/**
 * The configuration sections each process reads: its entry point loads exactly these, so it
 * needs (and is handed) no other setting or secret. docs/configuration.md lists, beside each
 * variable, the processes whose sections read it and those that require it outside sandbox mode.
 */
export const SERVICE_CONFIG_SECTIONS = {
  ingress: [
    'database',
    'redis',
    'http',
    'twilio',
    'supabase',
    'internalApi',
    'dashboard',
    'voice',
    'metrics',
    'outboundCalls',
  ],
  sms: ['database', 'redis', 'http', 'twilio', 'sms', 'workers', 'metrics', 'retention'],
  onboarding: ['database', 'redis', 'onboarding', 'workers', 'metrics'],
  summarizer: ['database', 'redis', 'openai', 'workers', 'metrics', 'transcripts'],
  voice: ['database', 'redis', 'http', 'twilio', 'openai', 'voice', 'voiceBot', 'metrics', 'outboundCalls', 'workers'],
  sandbox: ['database', 'http', 'twilio', 'supabase'],
  'db:migrate': ['database'],
} as const satisfies Record<string, readonly ConfigSectionName[]>;

export type ServiceName = keyof typeof SERVICE_CONFIG_SECTIONS;
