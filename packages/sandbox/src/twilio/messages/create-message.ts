import { twilioSidPattern } from '@series-killer/shared';
import { newSid } from '../sids.ts';
import { type MessageRejection, magicFromRejection, magicToRejection } from './magic-numbers.ts';
import type { SandboxMessage } from './message-store.ts';
import { countSegments } from './segments.ts';

/** The form parameters of a Messages create, as the SDK sends them. */
export type CreateParams = Record<string, string | string[] | undefined>;

const MAX_BODY_CHARS = 1600;
const CHANNEL_PREFIX = /^(whatsapp|messenger|rcs):/;
const PHONE = /^\+?[1-9]\d{6,14}$/;
const MESSAGING_SERVICE_SID = twilioSidPattern('MG');

function single(value: string | string[] | undefined): string | undefined {
  const v = Array.isArray(value) ? value[0] : value;
  return v === undefined || v === '' ? undefined : v;
}

function list(value: string | string[] | undefined): string[] {
  if (value === undefined) return [];
  return (Array.isArray(value) ? value : [value]).filter((v) => v !== '');
}

/** `+1 (415) 555-0100` → `+14155550100`; channel addresses (`whatsapp:+1…`) keep their prefix. */
function normaliseAddress(value: string): string {
  const prefix = CHANNEL_PREFIX.exec(value)?.[0] ?? '';
  const rest = value.slice(prefix.length).replace(/[\s().-]/g, '');
  return `${prefix}${rest}`;
}

function isPhone(address: string): boolean {
  return PHONE.test(address.replace(CHANNEL_PREFIX, ''));
}

const reject = (code: number, message: string): MessageRejection => ({ status: 400, code, message });

/**
 * Validates a create as Twilio does (required parameters, body length, magic test numbers, a
 * trial account's unverified recipients) and builds the new message, or answers with the
 * error Twilio would.
 */
export function createMessage(
  accountSid: string,
  params: CreateParams,
  now: number,
  account: { trialAccount?: boolean } = {},
): { message: SandboxMessage } | { rejection: MessageRejection } {
  const rawTo = single(params.To);
  const rawFrom = single(params.From);
  const messagingServiceSid = single(params.MessagingServiceSid);
  const body = single(params.Body) ?? '';
  const media = list(params.MediaUrl);
  const statusCallback = single(params.StatusCallback);

  if (rawTo === undefined) return { rejection: reject(21604, "A 'To' phone number is required.") };
  if (rawFrom === undefined && messagingServiceSid === undefined)
    return { rejection: reject(21603, "A 'From' phone number is required.") };
  if (body === '' && media.length === 0) return { rejection: reject(21602, 'Message body is required.') };
  if ([...body].length > MAX_BODY_CHARS)
    return { rejection: reject(21617, 'The concatenated message body exceeds the 1600 character limit.') };
  if (messagingServiceSid !== undefined && !MESSAGING_SERVICE_SID.test(messagingServiceSid))
    return { rejection: reject(21701, `The Messaging Service Sid ${messagingServiceSid} is invalid.`) };
  if (statusCallback !== undefined && !URL.canParse(statusCallback))
    return { rejection: reject(21609, `Invalid StatusCallback url: ${statusCallback}`) };

  const to = normaliseAddress(rawTo);
  const from = rawFrom === undefined ? null : normaliseAddress(rawFrom);
  const fromRejection = from === null ? undefined : magicFromRejection(from);
  if (fromRejection) return { rejection: fromRejection };
  const toRejection = magicToRejection(to);
  if (toRejection) return { rejection: toRejection };
  if (!isPhone(to)) return { rejection: reject(21211, `Invalid 'To' Phone Number: ${rawTo}`) };
  if (from === to) return { rejection: reject(21266, "'To' and 'From' number cannot be the same") };
  if (account.trialAccount)
    return {
      rejection: reject(
        21608,
        `The number ${to} is unverified. Trial accounts cannot send messages to unverified numbers; verify ${to}, or purchase a Twilio number to send messages to unverified numbers.`,
      ),
    };

  return {
    message: {
      sid: newSid('SM'),
      accountSid,
      to,
      from,
      body,
      // With a Messaging Service and no From, Twilio answers `accepted` and picks the sender later.
      status: from === null ? 'accepted' : 'queued',
      statusCallback: statusCallback ?? null,
      messagingServiceSid: messagingServiceSid ?? null,
      receivedAt: now,
      errorCode: null,
      numSegments: media.length > 0 && body === '' ? 1 : countSegments(body).segments,
      numMedia: media.length,
      dateSent: null,
      dateUpdated: now,
    },
  };
}
