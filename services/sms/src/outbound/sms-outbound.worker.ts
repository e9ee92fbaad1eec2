import type { JobHandlers, Logger } from '@series-killer/shared';
import { type Job, Worker } from 'bullmq';
import type { MessageRedactor } from '../redaction/message-redactor.ts';
import { RedactionInterruptedError, redactMessageBodies } from '../redaction/redact-message-bodies.ts';
import { type SendSmsDeps, sendSms, TwilioAccountError, TwilioRateLimitedError } from './send-sms.ts';

export interface SmsOutboundWorkerDeps extends SendSmsDeps {
  redactor: MessageRedactor;
  logger: Logger;
  /** Pauses the whole queue (every replica) for `ms` milliseconds. */
  rateLimit(ms: number): Promise<void>;
}

/** How long the queue pauses after Twilio answers 429, in milliseconds. */
const TWILIO_RATE_LIMIT_PAUSE_MS = 1_000;

/** The SID a send saved on its job as soon as Twilio accepted it. */
interface SavedSend {
  messageSid: string;
}

function savedMessageSid(job: Job): string | undefined {
  const progress = job.progress as Partial<SavedSend> | number | string | boolean;
  return typeof progress === 'object' && typeof progress.messageSid === 'string' ? progress.messageSid : undefined;
}

export function smsOutboundHandlers(deps: SmsOutboundWorkerDeps): JobHandlers<'sms-outbound'> {
  return {
    'send-sms': async (data, job) => {
      try {
        const result = await sendSms(deps, data, {
          queuedAt: new Date(job.timestamp),
          retried: job.attemptsStarted > 1,
          savedMessageSid: savedMessageSid(job),
          saveMessageSid: (messageSid) => job.updateProgress({ messageSid } satisfies SavedSend),
        });
        // Sent: the finished job, kept a day for deduplication, need not keep a code in Redis.
        if (data.storedBody) await job.updateData({ ...data, body: data.storedBody });
        return result;
      } catch (error) {
        // An error, not the usual retry warning: only someone fixing the account ends these retries.
        if (error instanceof TwilioAccountError)
          deps.logger.error({ err: error, jobId: job.id }, 'Twilio refused the account');
        if (!(error instanceof TwilioRateLimitedError)) throw error;
        await deps.rateLimit(TWILIO_RATE_LIMIT_PAUSE_MS);
        throw Worker.RateLimitError();
      }
    },
    'redact-message-bodies': async ({ erasureId }) => {
      try {
        const report = await redactMessageBodies(deps, erasureId);
        const count = (status: string) => report.filter((r) => r.status === status).length;
        return { redacted: count('redacted'), notFound: count('not-found'), failed: count('failed') };
      } catch (error) {
        if (!(error instanceof RedactionInterruptedError && error.rateLimited)) throw error;
        await deps.rateLimit(TWILIO_RATE_LIMIT_PAUSE_MS);
        throw Worker.RateLimitError();
      }
    },
  };
}
