import type { Logger } from '@series-killer/shared';
import type { MessageStatus, MessageStore, SandboxMessage } from '../messages/message-store.ts';
import { arrangeEvents } from '../webhooks/event-order.ts';
import { newIdempotencyToken, type WebhookSender, WebhookSenderClosedError } from '../webhooks/webhook-sender.ts';
import type { CallbackModes } from './callback-mode.ts';

interface StatusEvent {
  status: MessageStatus;
  errorCode: number | null;
  idempotencyToken: string;
}

export interface StatusCallbackDeps {
  store: MessageStore;
  modes: CallbackModes;
  sender: WebhookSender;
  /** The number a Messaging Service sends from. */
  serviceSender: string;
  logger: Logger;
}

const pad = (n: number) => String(n).padStart(2, '0');

/** The carrier's delivery-report time Twilio passes on: `YYMMDDhhmm` in UTC. */
function rawDlrDoneDate(ms: number): string {
  const d = new Date(ms);
  return `${pad(d.getUTCFullYear() % 100)}${pad(d.getUTCMonth() + 1)}${pad(d.getUTCDate())}${pad(d.getUTCHours())}${pad(d.getUTCMinutes())}`;
}

function statusEvents(outcome: 'delivered' | 'undelivered' | 'failed', errorCode: number | undefined): StatusEvent[] {
  const event = (status: MessageStatus, code: number | null): StatusEvent => ({
    status,
    errorCode: code,
    idempotencyToken: newIdempotencyToken(),
  });
  if (outcome === 'failed') return [event('failed', errorCode ?? 30008)];
  if (outcome === 'undelivered') return [event('sent', null), event('undelivered', errorCode ?? 30003)];
  return [event('sent', null), event('delivered', null)];
}

/** The parameters of Twilio's SMS status callback. */
export function statusCallbackParams(
  message: SandboxMessage,
  event: { status: MessageStatus; errorCode: number | null },
  from: string,
  at: number,
): Record<string, string> {
  const params: Record<string, string> = {
    AccountSid: message.accountSid,
    ApiVersion: '2010-04-01',
    From: from,
    MessageSid: message.sid,
    MessageStatus: event.status,
    SmsSid: message.sid,
    SmsStatus: event.status,
    To: message.to,
  };
  if (message.messagingServiceSid) params.MessagingServiceSid = message.messagingServiceSid;
  if (event.errorCode !== null) params.ErrorCode = String(event.errorCode);
  if (event.status === 'delivered' || event.status === 'undelivered') params.RawDlrDoneDate = rawDlrDoneDate(at);
  return params;
}

async function playStatusEvents(deps: StatusCallbackDeps, message: SandboxMessage): Promise<void> {
  const mode = deps.modes.resolve(message.to);
  const events = arrangeEvents(statusEvents(mode.outcome, mode.errorCode), mode);
  const from = message.from ?? deps.serviceSender;
  for (const event of events) {
    await deps.sender.pause(mode.delayMs);
    const at = Date.now();
    deps.store.advance(message.sid, event.status, at, event.errorCode, from);
    if (!mode.enabled || !message.statusCallback) continue;
    await deps.sender.send({
      kind: 'sms-status',
      url: message.statusCallback,
      params: statusCallbackParams(message, event, from, at),
      idempotencyToken: event.idempotencyToken,
    });
  }
}

/**
 * Plays a new message's life in the background: its status moves to `sent` and then
 * `delivered` (or as the callback mode says), and each change goes, signed, to its
 * StatusCallback. One message's callbacks go one after another; messages run side by side.
 */
export function scheduleStatusCallbacks(deps: StatusCallbackDeps, message: SandboxMessage): void {
  playStatusEvents(deps, message).catch((error: unknown) => {
    if (error instanceof WebhookSenderClosedError) return;
    deps.logger.error({ err: error, messageSid: message.sid }, 'status callbacks stopped');
  });
}
