import { Counter, Registry } from 'prom-client';

/** The SMS worker's counters, registered on one registry so the process can expose them. */
export interface SmsMetrics {
  registry: Registry;
  sent: Counter;
  failed: Counter<'code'>;
  configurationErrors: Counter<'code'>;
  statusTransitions: Counter<'from' | 'to'>;
  orphanEvents: Counter;
}

export function createSmsMetrics(registry: Registry = new Registry()): SmsMetrics {
  const registers = [registry];
  return {
    registry,
    sent: new Counter({ name: 'sms_sent_total', help: 'SMS accepted by Twilio', registers }),
    failed: new Counter({
      name: 'sms_failed_total',
      help: 'SMS that failed for good, by Twilio error code (or "opted-out")',
      labelNames: ['code'],
      registers,
    }),
    configurationErrors: new Counter({
      name: 'sms_configuration_errors_total',
      help: 'Sends Twilio refused because of our sender configuration (21212, 21606, 21608, 21611), by code; each waits a minute and tries again, no attempt spent',
      labelNames: ['code'],
      registers,
    }),
    statusTransitions: new Counter({
      name: 'sms_status_transitions_total',
      help: 'Forward moves of an onboarding message status',
      labelNames: ['from', 'to'],
      registers,
    }),
    orphanEvents: new Counter({
      name: 'sms_orphan_events_total',
      help: 'Status callbacks kept as orphans because no message with their SID appeared in time',
      registers,
    }),
  };
}

/** Counts forward moves of message statuses. */
export function countTransitions(metrics: SmsMetrics, transitions: { from: string; to: string }[]): void {
  for (const { from, to } of transitions) metrics.statusTransitions.inc({ from, to });
}
