import type { JobHandlers } from '@series-killer/shared';
import { type RecordInboundDeps, recordInboundSms } from './record-inbound-sms.ts';

export function smsInboundHandlers(deps: RecordInboundDeps): JobHandlers<'sms-inbound'> {
  return {
    'record-inbound-sms': (data) => recordInboundSms(deps, data),
  };
}
