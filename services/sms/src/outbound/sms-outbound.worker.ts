import type { JobHandlers, Logger } from '@series-killer/shared';
import { DelayedError, type Job, UnrecoverableError, Worker } from 'bullmq';
import type { MessageRedactor } from '../redaction/message-redactor.ts';
import { RedactionInterruptedError, redactMessageBodies } from '../redaction/redact-message-bodies.ts';
import { noteSendProblem } from './send-problems.repository.ts';
import {
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
        if (error instanceof TwilioConfigurationError) {
          deps.logger.error(
            { err: error, jobId: job.id, retryInMs: TWILIO_CONFIGURATION_RETRY_MS },
            'Twilio refused our sender configuration; the send waits for it to be fixed',
          );
          deps.metrics.configurationErrors.inc({ code: String(error.code) });
          if (data.onboardingMessageId !== undefined)
            await noteSendProblem(deps.db, data.onboardingMessageId, error.message);
          await job.moveToDelayed(Date.now() + TWILIO_CONFIGURATION_RETRY_MS, job.token);
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
              `gave up after ${job.attemptsMade + 1} attempts: ${errorText(error)}`,
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
