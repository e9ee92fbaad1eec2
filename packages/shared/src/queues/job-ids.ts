import type { JobData, JobName } from './job-catalogue.ts';

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
  'send-sms': (d) => `send.${d.sendKey}`,
  'redact-message-bodies': (d) => `redact.${d.erasureId}`,
  'record-inbound-sms': (d) => `inbound.${d.messageSid}`,
  'apply-sms-status': (d) => `status.${d.messageSid}.${d.status}.${d.errorCode ?? ''}`,
  // Scheduled by a job scheduler, like the sweep.
  'prune-event-logs': () => undefined,
  'call-started': (d) => `call-started.${d.callSid}`,
  'call-status': (d) => `call-status.${d.callSid}.${d.callStatus}.${d.sequenceNumber ?? ''}`,
  'transcription-event': (d) => `transcription.${d.transcriptionSid}.${d.sequenceId}`,
  'legacy-transcription': (d) => `legacy-transcription.${d.transcriptionSid}`,
  'summarize-call': (d) => `summary.${d.callSid}`,
};
