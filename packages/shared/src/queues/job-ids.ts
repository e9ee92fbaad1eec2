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
  'record-inbound-sms': (d) => `inbound.${d.messageSid}`,
  // A batch has no business key (Postgres deduplicates its callbacks); a single callback
  // keeps its own, so a duplicate in flight collapses.
  'apply-sms-statuses': ({ callbacks: [first, ...rest] }) =>
    first && rest.length === 0 ? `status.${first.messageSid}.${first.status}.${first.errorCode ?? ''}` : undefined,
  'reconcile-sms-deliveries': () => undefined,
  'call-started': (d) => `call-started.${d.callSid}`,
  'call-status': (d) => `call-status.${d.callSid}.${d.callStatus}.${d.sequenceNumber ?? ''}`,
  'transcription-event': (d) => `transcription.${d.transcriptionSid}.${d.sequenceId}`,
  'legacy-transcription': (d) => `legacy-transcription.${d.transcriptionSid}`,
  'summarize-call': (d) => `summary.${d.callSid}`,
};
