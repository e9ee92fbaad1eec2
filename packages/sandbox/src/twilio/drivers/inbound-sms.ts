import { countSegments } from '../messages/segments.ts';
import { newSid } from '../sids.ts';
import { newIdempotencyToken, type WebhookSender } from '../webhooks/webhook-sender.ts';
import { geographicParams } from './geography.ts';

/** An SMS a phone sends to one of the application's numbers. */
export interface InboundSmsInput {
  from: string;
  to: string;
  body: string;
  /** Sent as `MessagingServiceSid` when the receiving number belongs to a Messaging Service. */
  messagingServiceSid?: string;
}

export interface InboundSmsResult {
  messageSid: string;
  /** HTTP status the ingress answered (0 when it never did). */
  status: number;
  /** The ingress's answer, normally TwiML. */
  responseBody: string;
  attempts: number;
}

export interface DriverDeps {
  accountSid: string;
  sender: WebhookSender;
  /** PUBLIC_BASE_URL of the ingress. */
  ingressBaseUrl: string | undefined;
}

export class IngressNotConfiguredError extends Error {
  constructor() {
    super('The sandbox was started without ingressBaseUrl, so it has nowhere to send webhooks');
    this.name = 'IngressNotConfiguredError';
  }
}

export function ingressUrl(deps: DriverDeps, path: string): string {
  if (!deps.ingressBaseUrl) throw new IngressNotConfiguredError();
  return `${deps.ingressBaseUrl.replace(/\/$/, '')}${path}`;
}

/** Twilio's inbound-message webhook parameters. */
export function inboundSmsParams(
  accountSid: string,
  messageSid: string,
  input: InboundSmsInput,
): Record<string, string> {
  const params: Record<string, string> = {
    ...geographicParams('To', input.to),
    ...geographicParams('From', input.from),
    SmsMessageSid: messageSid,
    NumMedia: '0',
    SmsSid: messageSid,
    SmsStatus: 'received',
    Body: input.body,
    To: input.to,
    NumSegments: String(countSegments(input.body).segments),
    ReferralNumMedia: '0',
    MessageSid: messageSid,
    AccountSid: accountSid,
    From: input.from,
    ApiVersion: '2010-04-01',
  };
  if (input.messagingServiceSid) params.MessagingServiceSid = input.messagingServiceSid;
  return params;
}

/** Delivers an inbound SMS to the ingress's `/twilio/sms` as Twilio does: signed, form-encoded. */
export async function sendInboundSms(deps: DriverDeps, input: InboundSmsInput): Promise<InboundSmsResult> {
  const url = ingressUrl(deps, '/twilio/sms');
  const messageSid = newSid('SM');
  const result = await deps.sender.send({
    kind: 'sms-inbound',
    url,
    params: inboundSmsParams(deps.accountSid, messageSid, input),
    idempotencyToken: newIdempotencyToken(),
  });
  return { messageSid, status: result.status, responseBody: result.body, attempts: result.attempts };
}
