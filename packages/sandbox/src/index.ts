export type { OpenAIMode } from './openai/openai-mode.ts';
export type { AbortedStream, StreamStatsSnapshot } from './openai/stream-stats.ts';
export {
  type Sandbox,
  type SandboxControl,
  type SandboxOptions,
  type SandboxUrls,
  startSandbox,
} from './sandbox.ts';
export type {
  CallerLine,
  DialogueTurn,
  RelayCallInput,
  RelayCallResult,
  SessionEnd,
} from './twilio/drivers/conversation-relay-call.ts';
export type { InboundSmsInput, InboundSmsResult } from './twilio/drivers/inbound-sms.ts';
export { IngressNotConfiguredError } from './twilio/drivers/inbound-sms.ts';
export type {
  CallOutcome,
  SimulatedCallInput,
  SimulatedCallResult,
  TranscriptTrack,
} from './twilio/drivers/simulate-call.ts';
export type { MessageStatus, SandboxMessage } from './twilio/messages/message-store.ts';
export { countSegments, type SmsEncoding } from './twilio/messages/segments.ts';
export type { CallbackMode } from './twilio/status-callbacks/callback-mode.ts';
export type { TwilioMode, TwilioRequestRecord } from './twilio/twilio-api.ts';
export type { WebhookDelivery } from './twilio/webhooks/webhook-sender.ts';
