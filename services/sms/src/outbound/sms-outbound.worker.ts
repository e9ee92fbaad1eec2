import type { JobData, JobHandlers, Logger } from '@series-killer/shared';
import { maskPhone } from '@series-killer/shared';
import { Worker } from 'bullmq';
import { type SendSmsDeps, sendSms, TwilioAccountError, TwilioRateLimitedError } from './send-sms.ts';

export interface SmsOutboundWorkerDeps extends SendSmsDeps {
  logger: Logger;
  /** Pauses the whole queue (every replica) for `ms` milliseconds. */
  rateLimit(ms: number): Promise<void>;
}

/** How long the queue pauses after Twilio answers 429, in milliseconds. */
const TWILIO_RATE_LIMIT_PAUSE_MS = 1_000;

export function smsOutboundHandlers(deps: SmsOutboundWorkerDeps): JobHandlers<'sms-outbound'> {
  return {
    'send-sms': async (data) => {
      try {
        return await sendSms(deps, data);
      } catch (error) {
        // An error, not the usual retry warning: only someone fixing the account ends these retries.
        if (error instanceof TwilioAccountError) deps.logger.error({ err: error }, 'Twilio refused the account');
        if (!(error instanceof TwilioRateLimitedError)) throw error;
        await deps.rateLimit(TWILIO_RATE_LIMIT_PAUSE_MS);
        throw Worker.RateLimitError();
      }
    },
  };
}

/** What a completed send keeps while it waits to be removed: no body, the number masked. */
export function redactSendJob(data: unknown): Record<string, unknown> {
  const { sendKey, to, userId, onboardingMessageId } = data as JobData<'send-sms'>;
  return { sendKey, to: maskPhone(to), userId, onboardingMessageId };
}
