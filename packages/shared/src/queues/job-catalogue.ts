import { z } from 'zod';
import {
  E164_PATTERN,
  twilioSidPattern,
  VERIFICATION_CODE_DIGITS,
  VERIFICATION_CODE_PATTERN,
} from '../formats/formats.ts';

/** The queues; every job belongs to exactly one. */
export const QUEUE_NAMES = [
  'onboarding',
  'sms-outbound',
  'sms-inbound',
  'sms-status',
  'calls',
  'summaries',
  'outbound-calls',
  'outbound-call-outcomes',
] as const;
export type QueueName = (typeof QUEUE_NAMES)[number];

const e164 = z.string().regex(E164_PATTERN, 'must be an E.164 phone number');
const uuid = z.uuid();
const messageSid = z.string().regex(twilioSidPattern('SM', 'MM'), 'must be a Twilio Message SID');
const callSid = z.string().regex(twilioSidPattern('CA'), 'must be a Twilio Call SID');
const isoTime = z.iso.datetime({ offset: true });

/** Every message status Twilio reports (outbound and inbound); how they order is the SMS worker's concern. */
export const SMS_STATUSES = [
  'accepted',
  'scheduled',
  'queued',
  'sending',
  'sent',
  'receiving',
  'received',
  'delivered',
  'undelivered',
  'failed',
  'read',
  'partially_delivered',
  'canceled',
] as const;
export type SmsStatus = (typeof SMS_STATUSES)[number];

/** Most callbacks one `apply-sms-statuses` job carries. */
export const MAX_STATUS_CALLBACKS_PER_JOB = 500;

/** Whether `value` is form parameters as the ingress parses them: text values, a repeated one as a list of text. */
function isFormParams(value: unknown): value is Record<string, string | string[]> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  return Object.values(value).every(
    (field) => typeof field === 'string' || (Array.isArray(field) && field.every((item) => typeof item === 'string')),
  );
}

const smsStatusCallback = z.object({
  messageSid,
  status: z.enum(SMS_STATUSES),
  errorCode: z.number().int().nullable(),
  /**
   * The callback's form parameters, kept verbatim for the event log (a repeated one as a list).
   * Checked in place rather than by `z.record`, which copies every field of every callback twice
   * (once at the ingress, once at the worker): a tenth of the ingress's allocations per webhook.
   */
  raw: z.custom<Record<string, string | string[]>>(isFormParams, 'must be form parameters: text, or lists of text'),
  receivedAt: isoTime,
});
export type SmsStatusCallback = z.output<typeof smsStatusCallback>;

/** Twilio's call statuses. */
export const CALL_STATUSES = [
  'queued',
  'initiated',
  'ringing',
  'in-progress',
  'completed',
  'busy',
  'failed',
  'no-answer',
  'canceled',
] as const;
export type CallStatus = (typeof CALL_STATUSES)[number];

export const TRANSCRIPTION_TRACKS = ['inbound_track', 'outbound_track'] as const;

/** Longest text one side of a voice-bot turn may carry, in characters. */
export const MAX_TURN_TEXT = 8_000;

/** The tools the voice bot may use, as a turn records them. */
export const BOT_ACTIONS = ['end_call', 'transfer_to_human', 'text_caller'] as const;
export type BotAction = (typeof BOT_ACTIONS)[number];

/**
 * Payload schema of every job, by job name. Producers and consumers both validate against
 * these, so they cannot disagree. Payloads carry identifiers and the validated event only.
 */
export const jobSchemas = {
  /** Begin onboarding a user whose profile is `pending`. */
  'start-onboarding': z.object({
    userId: uuid,
    trigger: z.enum(['api', 'db-webhook', 'sweep']),
  }),
  /** A 6-digit reply from a phone number, to be checked against its pending code. */
  'verify-code': z.object({
    phoneNumber: e164,
    code: z.string().regex(VERIFICATION_CODE_PATTERN, `must be ${VERIFICATION_CODE_DIGITS} digits`),
    messageSid,
  }),
  /** Re-send a fresh code to a user who has not verified yet. */
  'send-reminder': z.object({
    userId: uuid,
    reminderNumber: z.number().int().positive(),
  }),
  /** Periodic pick-up of `pending` profiles that no trigger started. */
  'sweep-pending-profiles': z.object({}),

  /** Send one SMS. The only job that calls Twilio's Messages API. */
  'send-sms': z.object({
    /** Stable business key: the same key never produces a second Twilio message. */
    sendKey: z.string().min(1).max(200),
    to: e164,
    body: z.string().min(1).max(1600),
    /** What is stored in history instead of the body when the body holds a secret (a code). */
    storedBody: z.string().min(1).max(1600).optional(),
    userId: uuid.nullable(),
    /** The onboarding_messages row this send fulfils, if any. */
    onboardingMessageId: z.number().int().positive().optional(),
  }),
  /** Redact at Twilio the bodies of an erased user's messages (recorded in twilio_redactions). */
  'redact-message-bodies': z.object({
    erasureId: z.number().int().positive(),
  }),

  /** An inbound SMS as Twilio posted it (validated subset). */
  'record-inbound-sms': z.object({
    messageSid,
    accountSid: z.string(),
    from: e164,
    to: z.string(),
    body: z.string().max(1600 * 2),
    numMedia: z.number().int().min(0),
    numSegments: z.number().int().min(0),
    receivedAt: isoTime,
  }),

  /**
   * SMS status callbacks applied together in one transaction: those the ingress received in
   * one event-loop turn, what the reconciler learnt from Twilio, or one callback set apart
   * from a batch it failed.
   */
  'apply-sms-statuses': z.object({
    callbacks: z.array(smsStatusCallback).min(1).max(MAX_STATUS_CALLBACKS_PER_JOB),
  }),
  /** Periodic check with Twilio of messages still without a final status. */
  'reconcile-sms-deliveries': z.object({}),
  /** Periodic pruning of the event logs past their retention. */
  'prune-event-logs': z.object({}),

  /** An incoming call reached POST /twilio/voice. */
  'call-started': z.object({
    callSid,
    from: z.string(),
    to: z.string(),
    direction: z.string(),
    callStatus: z.enum(CALL_STATUSES),
    receivedAt: isoTime,
  }),
  /** One call status callback. */
  'call-status': z.object({
    callSid,
    callStatus: z.enum(CALL_STATUSES),
    from: z.string(),
    to: z.string(),
    direction: z.string(),
    /** Seconds; present on completion. */
    callDuration: z.number().int().min(0).nullable(),
    sequenceNumber: z.number().int().min(0).nullable(),
    receivedAt: isoTime,
  }),
  /** One real-time transcription event (started / content / stopped). */
  'transcription-event': z.object({
    callSid,
    transcriptionSid: z.string().min(1),
    event: z.enum(['transcription-started', 'transcription-content', 'transcription-stopped', 'transcription-error']),
    sequenceId: z.number().int().min(0),
    track: z.enum(TRANSCRIPTION_TRACKS).nullable(),
    text: z.string().nullable(),
    confidence: z.number().min(0).max(1).nullable(),
    final: z.boolean(),
    receivedAt: isoTime,
  }),
  /** A legacy `<Record transcribe>` callback carrying the whole transcript. */
  'legacy-transcription': z.object({
    callSid,
    transcriptionSid: z.string().min(1),
    transcriptionText: z.string(),
    receivedAt: isoTime,
  }),

  /**
   * One finished turn of a live voice-bot conversation: what the caller said (or keyed) and what
   * the bot said, cut where the caller interrupted it. Turns are numbered from 1 per call.
   */
  'bot-turn': z.object({
    callSid,
    /** ConversationRelay's session id (VX…). */
    sessionId: z.string().min(1).max(64),
    turn: z.number().int().positive(),
    /** The caller's final prompt; empty when the turn began with digits or silence. */
    callerText: z.string().max(MAX_TURN_TEXT),
    /** DTMF digits the caller pressed during the turn. */
    digits: z
      .string()
      .regex(/^[0-9*#wW]*$/, 'must be DTMF digits')
      .max(64),
    /** What the caller heard of the bot's reply. */
    botText: z.string().max(MAX_TURN_TEXT),
    /** Whether the caller cut the reply off. */
    interrupted: z.boolean(),
    /** The tools the bot used in this turn, in order. */
    actions: z.array(z.enum(BOT_ACTIONS)).max(8),
    endedAt: isoTime,
  }),
  /** A ConversationRelay session ended (`<Connect action>` callback). */
  'relay-session-ended': z.object({
    callSid,
    sessionId: z.string().min(1).max(64),
    /** Twilio's `SessionStatus` (`completed`, `ended`, `failed`, …). */
    sessionStatus: z.string().min(1).max(32),
    /** Turns the bot reported in its hand-off; null when the session ended without one (a failure). */
    turns: z.number().int().min(0).nullable(),
    receivedAt: isoTime,
  }),

  /**
   * Assemble the call's transcript with whatever arrived, gaps marked: run once the grace
   * period after the transcription stopped, the call completed or the voice-bot session ended
   * has passed.
   */
  'assemble-transcript': z.object({
    callSid,
    /** What started the grace period; each trigger runs once. */
    trigger: z.enum(['transcription-stopped', 'call-completed', 'session-ended']),
  }),

  /**
   * Place one attempt of an outbound call (a row of `outbound_calls`). The only job that calls
   * Twilio's Calls API.
   */
  'place-call': z.object({
    outboundCallId: uuid,
    /** 1 for the first attempt; a retry after busy / no-answer / failed counts up. */
    attempt: z.number().int().positive(),
  }),
  /** What Twilio reported of a placed outbound call: its end, or who answered. */
  'outbound-call-outcome': z.object({
    outboundCallId: uuid,
    callSid,
    callStatus: z.enum(CALL_STATUSES),
    /** Answering-machine detection's verdict (`human`, `machine_end_beep`, …), when Twilio sent one. */
    answeredBy: z.string().max(32).nullable(),
  }),

  /** Summarise one call's assembled transcript. */
  'summarize-call': z.object({
    callSid,
  }),
} as const;

export type JobName = keyof typeof jobSchemas;
export type JobData<N extends JobName> = z.output<(typeof jobSchemas)[N]>;

/** Which queue carries each job. */
export const queueOfJob = {
  'start-onboarding': 'onboarding',
  'verify-code': 'onboarding',
  'send-reminder': 'onboarding',
  'sweep-pending-profiles': 'onboarding',
  'send-sms': 'sms-outbound',
  'redact-message-bodies': 'sms-outbound',
  'record-inbound-sms': 'sms-inbound',
  'apply-sms-statuses': 'sms-status',
  'reconcile-sms-deliveries': 'sms-status',
  'prune-event-logs': 'sms-status',
  'call-started': 'calls',
  'call-status': 'calls',
  'transcription-event': 'calls',
  'legacy-transcription': 'calls',
  'bot-turn': 'calls',
  'relay-session-ended': 'calls',
  'assemble-transcript': 'calls',
  'summarize-call': 'summaries',
  'place-call': 'outbound-calls',
  'outbound-call-outcome': 'outbound-call-outcomes',
} as const satisfies Record<JobName, QueueName>;

/** The job names a queue carries. */
export type JobNameOf<Q extends QueueName> = {
  [N in JobName]: (typeof queueOfJob)[N] extends Q ? N : never;
}[JobName];
