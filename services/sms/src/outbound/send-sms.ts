import { createHash, randomUUID } from 'node:crypto';
import type { Db, JobData } from '@series-killer/shared';
import { UnrecoverableError } from 'bullmq';
import {
  type ClaimedDelivery,
  claimDelivery,
  type DeliveryClaim,
  type DeliveryLease,
  releaseDeliveryLease,
  renewDeliveryLease,
  unclaimedMessageSids,
} from '../deliveries/sms-deliveries.repository.ts';
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
  recordAcceptedMessage,
  recordFailedSend,
} from './outbound-messages.repository.ts';
import type { OutboundSms, SmsSender } from './sms-sender.ts';

/** Twilio could not be reached or answered 5xx: worth retrying. */
export class SmsSendError extends Error {
  /** No answer came back from a request that may have reached Twilio: Twilio may still be handling it. */
  readonly mayBeInFlight: boolean;
  constructor(message: string, mayBeInFlight: boolean, options?: ErrorOptions) {
    super(message, options);
    this.name = 'SmsSendError';
    this.mayBeInFlight = mayBeInFlight;
  }
}

/** Network errors raised before any byte of the request could reach Twilio. */
const NOT_CONNECTED_CODES: ReadonlySet<unknown> = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN']);

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
 * queue full): no message is at fault, so the send waits as a delayed job, no attempt spent, until it is fixed.
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

/**
 * Another attempt of the same send holds its lease and may be calling Twilio right now (a job
 * run again after its worker stalled or lost its lock): this one must not send. It waits and
 * looks again; no attempt is used up.
 */
export class SendInFlightError extends Error {
  /** When to look again, in ms. */
  readonly retryInMs: number;
  constructor(retryInMs: number) {
    super('another attempt of this send holds its lease');
    this.name = 'SendInFlightError';
    this.retryInMs = retryInMs;
  }
}

/**
 * How long a send's lease keeps every other attempt from calling Twilio for it, in ms: three
 * times the longest a Twilio request of the SMS service may take (TWILIO_SMS_REQUEST_TIMEOUT_MS),
 * taken at the claim and again just before the create. So a create still in flight has ended,
 * and its message is in Twilio's list, before another attempt may look for it. A crashed
 * attempt delays its send's retry by at most this much.
 */
export const SEND_LEASE_MS = 30_000;
/** At most how long a send that found another attempt's live lease waits before it looks again, in ms. */
export const LEASE_RECHECK_MS = 5_000;

export interface SendSmsDeps {
  db: Db;
  sender: SmsSender;
  metrics: SmsMetrics;
  /** `SMS_RECONCILE_AFTER` in milliseconds: when an accepted message is first checked with Twilio. */
  reconcileAfterMs: number;
}

export type SendSmsResult =
  | { outcome: 'sent'; messageSid: string; resumed: boolean }
  | { outcome: 'skipped'; reason: string };

/** Margin for the clock difference between this host and Twilio when looking for an earlier attempt. */
const CLOCK_SKEW_MS = 5 * 60_000;

/**
 * Sends one SMS at most once per send key, then records it.
 *
 * Exactly once through the delivery record: the send claims its row (one per send key) under a
 * lease before it calls Twilio, and records the SID on it, ending the lease, in the
 * transaction that follows Twilio's answer. A claim that already holds a SID is done; one whose
 * lease another attempt holds waits (SendInFlightError), since that attempt may be calling
 * Twilio. Twilio has no idempotency key for messages, so a claim made before (an attempt that
 * crashed, or whose lease ran out, between calling Twilio and recording) first looks at Twilio
 * for a message from this sender with the same recipient and body, created since the claim,
 * that no delivery record holds yet, and adopts it; a SID belongs to one record, so two
 * identical sends in flight adopt one message each. Not covered: a crash in the instant
 * between Twilio accepting and the message appearing in Twilio's list, and an attempt stalled
 * with its create in flight for longer than the lease.
 */
export async function sendSms(deps: SendSmsDeps, data: JobData<'send-sms'>): Promise<SendSmsResult> {
  if (data.onboardingMessageId !== undefined) {
    const status = await findOnboardingMessageStatus(deps.db, data.onboardingMessageId);
    if (status === undefined)
      throw new UnrecoverableError(`onboarding message ${data.onboardingMessageId} does not exist`);
    if (status !== 'pending') return { outcome: 'skipped', reason: `onboarding message already ${status}` };
  }

  const lease: DeliveryLease = { owner: randomUUID(), ms: SEND_LEASE_MS };
  const delivery = await claimDelivery(deps.db, deliveryClaimOf(data, deps.sender.senderId), lease);
  if (delivery.messageSid !== null) return { outcome: 'sent', messageSid: delivery.messageSid, resumed: true };
  if (delivery.status !== null) return { outcome: 'skipped', reason: `send already ${delivery.status}` };
  if (delivery.leasedForMs !== null) throw new SendInFlightError(Math.min(delivery.leasedForMs, LEASE_RECHECK_MS));

  try {
    return await sendClaimed(deps, data, delivery, lease);
  } catch (error) {
    // A create Twilio may still be working on (a timeout, a cut connection) keeps the lease to
    // its end, so that the next attempt looks for its message only once it would be listed.
    if (!(error instanceof SmsSendError && error.mayBeInFlight))
      await releaseDeliveryLease(deps.db, delivery.id, lease.owner);
    throw error;
  }
}

async function sendClaimed(
  deps: SendSmsDeps,
  data: JobData<'send-sms'>,
  delivery: ClaimedDelivery,
  lease: DeliveryLease,
): Promise<SendSmsResult> {
  const message: OutboundSms = { to: data.to, body: data.body };
  const record = (messageSid: string) =>
    recordAcceptedMessage(deps.db, {
      deliveryId: delivery.id,
      messageSid,
      to: data.to,
      userId: data.userId,
      content: data.storedBody ?? data.body,
      reconcileAfterMs: deps.reconcileAfterMs,
    });

  if (delivery.sendAttempts > 1) {
    const since = new Date(delivery.queuedAt.getTime() - CLOCK_SKEW_MS);
    for (const candidate of await unclaimedMessageSids(deps.db, await deps.sender.findSent(message, since))) {
      const transitions = await record(candidate);
      if (!transitions) continue; // another claim adopted it first
      countTransitions(deps.metrics, transitions);
      return { outcome: 'sent', messageSid: candidate, resumed: true };
    }
  }

  const messageSid = await sendNew(deps, data, message, delivery.id, lease);
  const transitions = await record(messageSid);
  if (!transitions)
    throw new UnrecoverableError(`Twilio returned ${messageSid}, which another delivery record already holds`);
  countTransitions(deps.metrics, transitions);
  return { outcome: 'sent', messageSid, resumed: false };
}

/** The delivery record a send claims: its key, recipient, sender and body hash, never the body. */
export function deliveryClaimOf(data: JobData<'send-sms'>, senderId: string): DeliveryClaim {
  return {
    sendKey: data.sendKey,
    to: data.to,
    sender: senderId,
    bodySha256: createHash('sha256').update(data.body).digest('hex'),
    userId: data.userId,
    onboardingMessageId: data.onboardingMessageId,
  };
}

/**
 * Refuses opted-out numbers, else renews the lease (the lookup before may have used it up) and
 * hands the message to Twilio, classifying its refusal.
 */
async function sendNew(
  deps: SendSmsDeps,
  data: JobData<'send-sms'>,
  message: OutboundSms,
  deliveryId: number,
  lease: DeliveryLease,
): Promise<string> {
  if (await isOptedOut(deps.db, data.to)) {
    await failForGood(deps, data, deliveryId, null, 'opted out: the recipient replied STOP');
    throw new UnrecoverableError('opted out');
  }
  // Another attempt took the lease over while this one stalled: it sends, or has sent, the message.
  if (!(await renewDeliveryLease(deps.db, deliveryId, lease))) throw new SendInFlightError(LEASE_RECHECK_MS);
  try {
    const messageSid = await deps.sender.send(message);
    deps.metrics.sent.inc();
    return messageSid;
  } catch (error) {
    throw await classifySendFailure(deps, data, deliveryId, error);
  }
}

async function classifySendFailure(
  deps: SendSmsDeps,
  data: JobData<'send-sms'>,
  deliveryId: number,
  error: unknown,
): Promise<Error> {
  const answer = asTwilioApiError(error);
  if (!answer) {
    const code = error instanceof Error ? (error as Error & { code?: unknown }).code : undefined;
    return new SmsSendError('Twilio could not be reached', !NOT_CONNECTED_CODES.has(code), { cause: error });
  }
  // Before the 429 check: a full sender queue (21611) comes as a 429 but lasts far longer than a rate limit.
  if (answer.code !== undefined && isConfigurationFault(answer.code))
    return new TwilioConfigurationError(describeTwilioError(answer.code), answer.code, { cause: error });
  if (answer.status === 429 || answer.code === TWILIO_TOO_MANY_REQUESTS)
    return new TwilioRateLimitedError({ cause: error });
  if (answer.status >= 500) return new SmsSendError(`Twilio answered HTTP ${answer.status}`, false, { cause: error });

  const reason = answer.code === undefined ? `HTTP ${answer.status}` : describeTwilioError(answer.code);
  if (answer.code === undefined || !isMessageRefusal(answer.code))
    return new TwilioAccountError(`Twilio refused the account's request (${reason})`, { cause: error });

  // Invalid, unreachable or unsubscribed number, bad body: will fail the same way again.
  await failForGood(deps, data, deliveryId, answer.code, reason);
  return new UnrecoverableError(reason);
}

async function failForGood(
  deps: SendSmsDeps,
  data: JobData<'send-sms'>,
  deliveryId: number,
  errorCode: number | null,
  reason: string,
): Promise<void> {
  const optOut =
    errorCode === TWILIO_UNSUBSCRIBED
      ? { phoneNumber: data.to, userId: data.userId, optedOut: true, keyword: 'twilio-21610', changedAt: new Date() }
      : undefined;
  const transition = await recordFailedSend(deps.db, {
    deliveryId,
    onboardingMessageId: data.onboardingMessageId,
    errorCode,
    errorMessage: reason,
    optOut,
  });
  deps.metrics.failed.inc({ code: errorCode === null ? 'opted-out' : String(errorCode) });
  countTransitions(deps.metrics, transition ? [transition] : []);
}
