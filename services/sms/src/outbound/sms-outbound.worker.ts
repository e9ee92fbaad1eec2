import { sendGaveUpNote } from '@series-killer/onboarding/delivery-projection';
import type { JobHandlers, Logger } from '@series-killer/shared';
import { DelayedError, type Job, UnrecoverableError, Worker } from 'bullmq';
import type { MessageRedactor } from '../redaction/message-redactor.ts';
import { RedactionInterruptedError, redactMessageBodies } from '../redaction/redact-message-bodies.ts';
import { noteSendProblem } from './send-problems.repository.ts';
import {
  SendInFlightError,
  type SendSmsDeps,
  sendSms,
  TwilioAccountError,
  TwilioConfigurationError,
  TwilioRateLimitedError,
} from './send-sms.ts';

export interface SmsOutboundWorkerDeps extends SendSmsDeps {
  redactor: MessageRedactor;
  logger: Logger;
  /** Pauses the whole queue (every replica) for `ms` milliseconds. */
  rateLimit(ms: number): Promise<void>;
}

/** How long the queue pauses after Twilio answers 429, in milliseconds. */
const TWILIO_RATE_LIMIT_PAUSE_MS = 1_000;
/**
 * How long a send waits after a sender configuration fault before it tries again, in
 * milliseconds. It waits as a delayed job, not on the worker's rate limiter, so no attempt is
 * used up, the worker still shuts down at once, and the send goes out once the fault is fixed.
 */
export const TWILIO_CONFIGURATION_RETRY_MS = 60_000;

export function smsOutboundHandlers(deps: SmsOutboundWorkerDeps): JobHandlers<'sms-outbound'> {
  return {
    'send-sms': async (data, job) => {
      try {
        const result = await sendSms(deps, data);
        if (result.outcome === 'sent' && !result.resumed)
          deps.logger.info({ messageSid: result.messageSid, sendKey: data.sendKey }, 'SMS sent');
        return result;
      } catch (error) {
        if (error instanceof SendInFlightError) {
          // Waits as a delayed job: no attempt is used up, and the attempt in flight finishes first.
          deps.logger.warn({ jobId: job.id, retryInMs: error.retryInMs }, 'another attempt of this send is in flight');
          await job.moveToDelayed(Date.now() + error.retryInMs, job.token);
          throw new DelayedError();
        }
        if (error instanceof TwilioConfigurationError) {
          deps.logger.error(
            { err: error, jobId: job.id, retryInMs: TWILIO_CONFIGURATION_RETRY_MS },
            'Twilio refused our sender configuration; the send waits for it to be fixed',
          );
          if (data.onboardingMessageId !== undefined)
            await noteSendProblem(deps.db, data.onboardingMessageId, error.message);
          await job.moveToDelayed(Date.now() + TWILIO_CONFIGURATION_RETRY_MS, job.token);
          // Counted once the send waits, note written: the count is of faults the service has handled.
          deps.metrics.configurationErrors.inc({ code: String(error.code) });
          throw new DelayedError();
        }
        // An error, not the usual retry warning: only someone fixing the account ends these retries.
        if (error instanceof TwilioAccountError)
          deps.logger.error({ err: error, jobId: job.id }, 'Twilio refused the account');
        if (!(error instanceof TwilioRateLimitedError)) {
          if (isLastAttempt(job, error) && data.onboardingMessageId !== undefined)
            await noteSendProblem(
              deps.db,
              data.onboardingMessageId,
              sendGaveUpNote(job.attemptsMade + 1, errorText(error)),
            );
          throw error;
        }
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

/** Whether this failure ends the job: its last attempt failed with an error worth retrying. */
function isLastAttempt(job: Job, error: unknown): boolean {
  return !(error instanceof UnrecoverableError) && job.attemptsMade + 1 >= (job.opts.attempts ?? 1);
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
