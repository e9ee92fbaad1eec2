import type { JobData, JobName } from './job-catalogue.ts';

/** The job id of the send of `sendKey`. */
export function sendSmsJobId(sendKey: string): string {
  return `send.${sendKey}`;
}

/** The job id of a voice-bot conversation's turn. */
export function botTurnJobId(callSid: string, turn: number): string {
  return `bot-turn.${callSid}.${turn}`;
}

/**
 * The business key of each job, as its BullMQ job id: the same Twilio event or the same
 * onboarding step always maps to the same id, so retries and duplicates collapse into one
 * job. Parts are joined with `.` because BullMQ reserves `:`.
 */
export const jobIdFor: { [N in JobName]: (data: JobData<N>) => string | undefined } = {
  'start-onboarding': (d) => `start.${d.userId}`,
  'verify-code': (d) => `verify.${d.messageSid}`,
  'send-reminder': (d) => `reminder.${d.userId}.${d.reminderNumber}`,
  // The sweep is scheduled by a job scheduler, which assigns its own ids.
  'sweep-pending-profiles': () => undefined,
  'send-sms': (d) => sendSmsJobId(d.sendKey),
  'redact-message-bodies': (d) => `redact.${d.erasureId}`,
  'record-inbound-sms': (d) => `inbound.${d.messageSid}`,
  // A batch has no business key (Postgres deduplicates its callbacks); a single callback
  // keeps its own, so a duplicate in flight collapses.
  'apply-sms-statuses': ({ callbacks: [first, ...rest] }) =>
    first && rest.length === 0 ? `status.${first.messageSid}.${first.status}.${first.errorCode ?? ''}` : undefined,
  'reconcile-sms-deliveries': () => undefined,
  // Scheduled by a job scheduler, like the sweep.
  'prune-event-logs': () => undefined,
  'call-started': (d) => `call-started.${d.callSid}`,
  'call-status': (d) => `call-status.${d.callSid}.${d.callStatus}.${d.sequenceNumber ?? ''}`,
  'transcription-event': (d) => `transcription.${d.transcriptionSid}.${d.sequenceId}`,
  'legacy-transcription': (d) => `legacy-transcription.${d.transcriptionSid}`,
  'bot-turn': (d) => botTurnJobId(d.callSid, d.turn),
  'relay-session-ended': (d) => `relay-ended.${d.callSid}.${d.sessionId}`,
  'assemble-transcript': (d) => `assemble-transcript.${d.callSid}.${d.trigger}`,
  'summarize-call': (d) => `summary.${d.callSid}`,
  'place-call': (d) => `place-call.${d.outboundCallId}.${d.attempt}`,
  'outbound-call-outcome': (d) => `outbound-call-outcome.${d.callSid}.${d.callStatus}`,
};

/**
 * The send keys of `send-sms`, one per text a step may send: the SMS worker claims one
 * delivery per key, so the same step never texts twice, whatever its retries.
 */
export const sendKeyFor = {
  /** A row of `onboarding_messages` (welcome, verification, reminder). */
  onboardingMessage: (onboardingMessageId: number) => `onboarding-message.${onboardingMessageId}`,
  /** "Your number is confirmed": once per user. */
  confirmation: (userId: string) => `confirmation.${userId}`,
  /** "That code is wrong": once per inbound message. */
  wrongCode: (inboundMessageSid: string) => `wrong-code.${inboundMessageSid}`,
  /** "Your code is void": once per code, the latest code message (0: none yet). */
  codeVoid: (userId: string, codeMessageId: number | undefined) => `code-void.${userId}.${codeMessageId ?? 0}`,
  /** What the voice bot promised to text during a call: once per call and turn. */
  voiceBotText: (callSid: string, turn: number) => `voice-bot.${callSid}.${turn}`,
};
