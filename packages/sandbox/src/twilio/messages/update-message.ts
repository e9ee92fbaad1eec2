import type { MessageRejection } from './magic-numbers.ts';

/** The form parameters of a Message update, as the SDK sends them. */
export type UpdateParams = Record<string, string | string[] | undefined>;

const invalid = (message: string): MessageRejection => ({ status: 400, code: 30400, message });

/**
 * What a Message update asks for, checked as Twilio does: a redaction is an update with an
 * empty `Body` (any other body is refused), and cancelling (`Status=canceled`, for scheduled
 * messages) cannot be combined with it. The sandbox schedules no messages, so it only redacts.
 */
export function parseMessageUpdate(params: UpdateParams): { redact: true } | { rejection: MessageRejection } {
  const hasBody = params.Body !== undefined;
  const hasStatus = params.Status !== undefined;
  if (hasBody && hasStatus)
    return { rejection: invalid('Attempted to cancel the message and redact the message body at the same time.') };
  if (hasStatus) return { rejection: invalid('Value for Status is invalid: no scheduled message to cancel.') };
  if (!hasBody) return { rejection: invalid('POST body is missing parameters Body or Status.') };
  if (params.Body !== '')
    return { rejection: invalid('Message body redaction request does not have empty Body parameter.') };
  return { redact: true };
}
