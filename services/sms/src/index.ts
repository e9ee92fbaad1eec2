export { readInboundIntent } from './inbound/inbound-intent.ts';
export type { SmsMetrics } from './metrics/sms-metrics.ts';
export type { OutboundSms, SmsSender } from './outbound/sms-sender.ts';
export {
  outboundLimiter,
  type SmsWorkers,
  type StartSmsWorkersOptions,
  startSmsWorkers,
} from './start-sms-workers.ts';
export { describeTwilioError, twilioErrorMeaning } from './twilio-errors/twilio-error-codes.ts';
