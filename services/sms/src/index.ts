export type { SmsMetrics } from './metrics/sms-metrics.ts';
export type { OutboundSms, SmsSender } from './outbound/sms-sender.ts';
export {
  type SmsWorkers,
  type SmsWorkersConfig,
  type StartSmsWorkersOptions,
  startSmsWorkers,
} from './start-sms-workers.ts';
