import type { SmsStatus } from '@series-killer/shared';

/** Delivery statuses after which Twilio reports nothing more that changes the outcome. */
export const FINAL_DELIVERY_STATUSES = [
  'delivered',
  'read',
  'partially_delivered',
  'undelivered',
  'failed',
  'canceled',
] as const satisfies readonly SmsStatus[];
