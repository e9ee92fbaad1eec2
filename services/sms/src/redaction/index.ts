// What `npm run users -- delete --redact-at-twilio` needs, without the workers' modules.
export { createTwilioMessageRedactor } from './message-redactor.ts';
export { RedactionInterruptedError, redactMessageBodies } from './redact-message-bodies.ts';
