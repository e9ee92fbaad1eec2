import type { Db, JobData } from '@series-killer/shared';
import { UnrecoverableError } from 'bullmq';
import { countTransitions, type SmsMetrics } from '../metrics/sms-metrics.ts';
import { isOptedOut } from '../opt-outs/sms-opt-outs.repository.ts';
import { asTwilioApiError } from '../twilio-errors/twilio-api-error.ts';
import {
  describeTwilioError,
  isConfigurationFault,
  isMessageRefusal,
  TWILIO_TOO_MANY_REQUESTS,
  TWILIO_UNSUBSCRIBED,
} from '../twilio-errors/twilio-error-codes.ts';
import {
  findOnboardingMessageStatus,
  recordFailedSend,
  recordSentMessage,
  unrecordedMessageSids,
} from './outbound-messages.repository.ts';
import type { OutboundSms, SmsSender } from './sms-sender.ts';

/** Twilio could not be reached or answered 5xx: worth retrying. */
export class SmsSendError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'SmsSendError';
  }
}

/**
 * Twilio refused our account rather than the message (credentials, a suspended account): every
 * send fails until someone fixes the account, then succeeds. Retried, and logged as an error.
 */
export class TwilioAccountError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'TwilioAccountError';
  }
}

/**
 * Twilio refused the send because of our sender configuration (`From`, trial account, sender
 * queue full): no message is at fault, so the queue pauses and the send waits for the fix.
 */
export class TwilioConfigurationError extends Error {
  readonly code: number;
  constructor(reason: string, code: number, options?: ErrorOptions) {
    super(`Twilio refused our sender configuration (${reason})`, options);
    this.name = 'TwilioConfigurationError';
    this.code = code;
  }
}

/** Twilio refused the request for its rate (429 / 20429): pause the queue and retry. */
export class TwilioRateLimitedError extends Error {
  constructor(options?: ErrorOptions) {
    super('Twilio rate limit reached', options);
    this.name = 'TwilioRateLimitedError';
  }
}

export interface SendSmsDeps {
  db: Db;
  sender: SmsSender;
  metrics: SmsMetrics;
}

/** What is known about earlier attempts of this send. */
export interface SendAttempt {
  /** When the send was first queued: no earlier attempt's message can be older. */
  queuedAt: Date;
  /** Whether an earlier attempt started, and so may have reached Twilio. */
  retried: boolean;
  /** The SID an earlier attempt saved as soon as Twilio accepted, if it got that far. */
  savedMessageSid?: string;
  /** Saves the SID right after Twilio accepts, apart from the database write that follows. */
  saveMessageSid(messageSid: string): Promise<void>;
}

export type SendSmsResult =
  | { outcome: 'sent'; messageSid: string; resumed: boolean }
  | { outcome: 'skipped'; reason: string };

/** Margin for the clock difference between this host and Twilio when looking for an earlier attempt. */
const CLOCK_SKEW_MS = 5 * 60_000;

/**
 * Sends one SMS at most once per send key, then records it.
 *
 * Exactly once: Twilio has no idempotency key for messages, so an attempt that crashed
 * after Twilio accepted but before the database write is found again in two ways. The SID
 * is saved on the job right after Twilio answers; and if that save never happened, a retry
 * looks for a message from this sender with the same recipient and body, created since the
 * job was queued, that no history row claims yet. Limits: two different send keys with the
 * same recipient and body in flight at once could claim each other's message (onboarding
 * bodies differ per user and code), and a crash in the instant between Twilio accepting and
 * the message appearing in Twilio's list is not covered.
 */
export async function sendSms(
  deps: SendSmsDeps,
  data: JobData<'send-sms'>,
  attempt: SendAttempt,
): Promise<SendSmsResult> {
  if (data.onboardingMessageId !== undefined) {
    const status = await findOnboardingMessageStatus(deps.db, data.onboardingMessageId);
    if (status === undefined)
      throw new UnrecoverableError(`onboarding message ${data.onboardingMessageId} does not exist`);
    if (status !== 'pending') return { outcome: 'skipped', reason: `onboarding message already ${status}` };
  }

  const message: OutboundSms = { to: data.to, body: data.body };
  const earlier =
    attempt.savedMessageSid ?? (attempt.retried ? await findEarlierSend(deps, message, attempt) : undefined);
  const messageSid = earlier ?? (await sendNew(deps, data, message));
  if (!earlier) await attempt.saveMessageSid(messageSid);

  const transitions = await recordSentMessage(deps.db, {
    messageSid,
    to: data.to,
    userId: data.userId,
    content: data.storedBody ?? data.body,
    onboardingMessageId: data.onboardingMessageId,
  });
  countTransitions(deps.metrics, transitions);
  return { outcome: 'sent', messageSid, resumed: earlier !== undefined };
}

async function findEarlierSend(
  deps: SendSmsDeps,
  message: OutboundSms,
  attempt: SendAttempt,
): Promise<string | undefined> {
  const since = new Date(attempt.queuedAt.getTime() - CLOCK_SKEW_MS);
  const candidates = await deps.sender.findSent(message, since);
  const [unclaimed] = await unrecordedMessageSids(deps.db, candidates);
  return unclaimed;
}

/** Refuses opted-out numbers, else hands the message to Twilio and classifies its refusal. */
async function sendNew(deps: SendSmsDeps, data: JobData<'send-sms'>, message: OutboundSms): Promise<string> {
  if (await isOptedOut(deps.db, data.to)) {
    await failForGood(deps, data, 'opted-out', 'opted out: the recipient replied STOP');
    throw new UnrecoverableError('opted out');
  }
  try {
    const messageSid = await deps.sender.send(message);
    deps.metrics.sent.inc();
    return messageSid;
  } catch (error) {
    throw await classifySendFailure(deps, data, error);
  }
}

async function classifySendFailure(deps: SendSmsDeps, data: JobData<'send-sms'>, error: unknown): Promise<Error> {
  const answer = asTwilioApiError(error);
  if (!answer) return new SmsSendError('Twilio could not be reached', { cause: error });
  // Before the 429 check: a full sender queue (21611) comes as a 429 but lasts far longer than a rate limit.
  if (answer.code !== undefined && isConfigurationFault(answer.code))
    return new TwilioConfigurationError(describeTwilioError(answer.code), answer.code, { cause: error });
  if (answer.status === 429 || answer.code === TWILIO_TOO_MANY_REQUESTS)
    return new TwilioRateLimitedError({ cause: error });
  if (answer.status >= 500) return new SmsSendError(`Twilio answered HTTP ${answer.status}`, { cause: error });

  const reason = answer.code === undefined ? `HTTP ${answer.status}` : describeTwilioError(answer.code);
  if (answer.code === undefined || !isMessageRefusal(answer.code))
    return new TwilioAccountError(`Twilio refused the account's request (${reason})`, { cause: error });

  // Invalid, unreachable or unsubscribed number, bad body: will fail the same way again.
  await failForGood(deps, data, String(answer.code), reason);
  return new UnrecoverableError(reason);
}

async function failForGood(deps: SendSmsDeps, data: JobData<'send-sms'>, code: string, reason: string): Promise<void> {
  const optOut =
    code === String(TWILIO_UNSUBSCRIBED)
      ? { phoneNumber: data.to, userId: data.userId, optedOut: true, keyword: 'twilio-21610', changedAt: new Date() }
      : undefined;
  const transition = await recordFailedSend(deps.db, {
    onboardingMessageId: data.onboardingMessageId,
    errorMessage: reason,
    optOut,
  });
  deps.metrics.failed.inc({ code });
  countTransitions(deps.metrics, transition ? [transition] : []);
}
