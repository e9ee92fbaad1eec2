export { startTestStack, type TestStack, type TestStackOptions } from './test-stack.ts';
export { type ReceivedWebhook, startWebhookReceiver, type WebhookReceiver } from './webhook-receiver.ts';
