import { VERIFICATION_CODE_PATTERN } from '../formats/formats.ts';
import { maskPhone } from '../phone/e164.ts';
import { VERIFICATION_CODE_MASK } from '../verification/verification-code-mask.ts';
import type { JobData, JobName } from './job-catalogue.ts';

/** What a finished job keeps of its payload in Redis while it waits to be removed. */
export interface JobRedaction<N extends JobName> {
  /** A completed job, kept minutes for the dashboard: identifiers only, no number, body, code or transcript. */
  completed(data: JobData<N>): Record<string, unknown>;
  /**
   * A job that failed for good, kept days for someone to retry it: its secrets go, what a
   * retry needs stays. Absent: the payload is kept as it is.
   */
  failed?(data: JobData<N>): Record<string, unknown>;
}

const unchanged = <T extends Record<string, unknown>>(data: T): T => data;

/** Each job's redaction, applied by every worker (createWorker) as its jobs finish. */
export const jobRedactions: { [N in JobName]: JobRedaction<N> } = {
  'start-onboarding': { completed: unchanged },
  'verify-code': {
    completed: ({ messageSid }) => ({ messageSid }),
    // A retry of a masked code is refused as an invalid payload; the user can reply again.
    failed: (data) => ({ ...data, code: VERIFICATION_CODE_MASK }),
  },
  'send-reminder': { completed: unchanged },
  'sweep-pending-profiles': { completed: unchanged },
  'send-sms': {
    completed: ({ sendKey, to, userId, onboardingMessageId }) => ({
      sendKey,
      to: maskPhone(to),
      userId,
      onboardingMessageId,
    }),
    // A body holding a code (it has a storedBody) goes: a retry is refused as an invalid payload,
    // and the onboarding flow sends a fresh code with the user's next reminder.
    failed: ({ body, ...rest }) => (rest.storedBody === undefined ? { body, ...rest } : rest),
  },
  'redact-message-bodies': { completed: unchanged },
  'record-inbound-sms': {
    completed: ({ messageSid, numMedia, numSegments, receivedAt }) => ({
      messageSid,
      numMedia,
      numSegments,
      receivedAt,
    }),
    // A reply that is a code keeps it masked, as its sms_history row does; other messages stay for a retry.
    failed: (data) =>
      VERIFICATION_CODE_PATTERN.test(data.body.trim()) ? { ...data, body: VERIFICATION_CODE_MASK } : data,
  },
  'apply-sms-statuses': {
    completed: ({ callbacks }) => ({
      callbacks: callbacks.map(({ messageSid, status, errorCode }) => ({ messageSid, status, errorCode })),
    }),
  },
  'reconcile-sms-deliveries': { completed: unchanged },
  'prune-event-logs': { completed: unchanged },
  'call-started': {
    completed: ({ callSid, direction, callStatus, receivedAt }) => ({ callSid, direction, callStatus, receivedAt }),
  },
  'call-status': {
    completed: ({ from: _from, to: _to, ...rest }) => rest,
  },
  'transcription-event': { completed: ({ text: _text, ...rest }) => rest },
  'legacy-transcription': {
    completed: ({ callSid, transcriptionSid, receivedAt }) => ({ callSid, transcriptionSid, receivedAt }),
  },
  // What the caller and the bot said lives in the transcript; the finished job keeps its place in the call.
  'bot-turn': { completed: ({ callerText: _caller, botText: _bot, digits: _digits, ...rest }) => rest },
  'relay-session-ended': { completed: unchanged },
  'assemble-transcript': { completed: unchanged },
  'summarize-call': { completed: unchanged },
  'place-call': { completed: unchanged },
  'outbound-call-outcome': { completed: unchanged },
};

/** A finished job's payload as it may stay in Redis (`name` as the job carries it: unknown names keep theirs). */
export function redactFinishedJob(name: JobName, data: unknown, outcome: 'completed' | 'failed'): unknown {
  const redaction = jobRedactions[name] as JobRedaction<JobName> | undefined;
  const redact = outcome === 'completed' ? redaction?.completed : redaction?.failed;
  if (!redact || typeof data !== 'object' || data === null) return data;
  return redact(data as JobData<JobName>);
}
