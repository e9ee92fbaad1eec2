import { type JobHandlers, VERIFICATION_CODE_MASK } from '@series-killer/shared';
import { type RecordInboundDeps, recordInboundSms } from './record-inbound-sms.ts';

export function smsInboundHandlers(deps: RecordInboundDeps): JobHandlers<'sms-inbound'> {
  return {
    'record-inbound-sms': async (data, job) => {
      const result = await recordInboundSms(deps, data);
      // Handed over: the finished job, kept for its retention (minutes), need not keep the code in Redis.
      if (result.intent === 'verification-code') await job.updateData({ ...data, body: VERIFICATION_CODE_MASK });
      return result;
    },
  };
}
