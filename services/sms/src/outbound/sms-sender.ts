import type { TwilioClient } from '@series-killer/shared/twilio';
import { callTwilio } from '../twilio-errors/twilio-request-error.ts';

/** One outbound SMS as the carrier sees it. */
export interface OutboundSms {
  to: string;
  body: string;
}

/** The product's narrow view of the SMS carrier. */
export interface SmsSender {
  /** Who sends: the sender number, or the Messaging Service SID that picks one. */
  readonly senderId: string;
  /** Hands one message to the carrier; resolves with its Message SID. */
  send(message: OutboundSms): Promise<string>;
  /**
   * SIDs of messages from this sender with the same recipient and body, created at or after
   * `since`, newest first: what an earlier attempt of the same send may have left behind.
   */
  findSent(message: OutboundSms, since: Date): Promise<string[]>;
}

export interface TwilioSmsSenderOptions {
  /** Sender number (E.164); one of this or `messagingServiceSid` is required. */
  fromNumber?: string;
  /** Messaging Service that picks the sender number; wins over `fromNumber`. */
  messagingServiceSid?: string;
  /** Where Twilio posts the message's status callbacks (with its connection overrides). */
  statusCallbackUrl: string;
}

/**
 * How long the SMS service waits for one Twilio request, in ms (the SDK's default is 30 s). A
 * message create normally answers within a second; the send's lease (`SEND_LEASE_MS`) is sized
 * on this bound.
 */
export const TWILIO_SMS_REQUEST_TIMEOUT_MS = 10_000;

/** How many of the recipient's most recent messages are searched for an earlier attempt. */
const EARLIER_SEND_SEARCH_LIMIT = 50;

/** The SmsSender on Twilio's Messages API, through the real SDK. */
export function createTwilioSmsSender(client: TwilioClient, options: TwilioSmsSenderOptions): SmsSender {
  const sender: { from: string } | { messagingServiceSid: string } = options.messagingServiceSid
    ? { messagingServiceSid: options.messagingServiceSid }
    : { from: requireFromNumber(options.fromNumber) };

  return {
    senderId: 'from' in sender ? sender.from : sender.messagingServiceSid,

    async send({ to, body }) {
      const message = await callTwilio('message create', () =>
        client.messages.create({ to, body, ...sender, statusCallback: options.statusCallbackUrl }),
      );
      return message.sid;
    },

    async findSent({ to, body }, since) {
      const recent = await callTwilio('message list', () =>
        client.messages.list({
          to,
          ...('from' in sender ? { from: sender.from } : {}),
          limit: EARLIER_SEND_SEARCH_LIMIT,
        }),
      );
      return recent
        .filter((message) => message.to === to && message.body === body)
        .filter((message) =>
          'from' in sender ? message.from === sender.from : message.messagingServiceSid === sender.messagingServiceSid,
        )
        .filter((message) => message.dateCreated === null || message.dateCreated.getTime() >= since.getTime())
        .map((message) => message.sid);
    },
  };
}

function requireFromNumber(fromNumber: string | undefined): string {
  if (!fromNumber) throw new Error('an SMS sender needs a from number or a messaging service SID');
  return fromNumber;
}
