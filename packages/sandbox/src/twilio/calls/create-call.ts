import type { MessageRejection } from '../messages/magic-numbers.ts';
import { first } from '../paging/twilio-page.ts';
import { newSid } from '../sids.ts';
import type { CallProgressEvent, SandboxCall } from './call-store.ts';

/** The form parameters of a Calls create, as the SDK sends them. */
export type CreateCallParams = Record<string, string | string[] | undefined>;

const PHONE = /^\+[1-9]\d{6,14}$/;
const PROGRESS_EVENTS: readonly CallProgressEvent[] = ['initiated', 'ringing', 'answered', 'completed'];
const DEFAULT_TIMEOUT_SECONDS = 60;
const MAX_TIMEOUT_SECONDS = 600;
const MAX_TWIML_CHARS = 4000;

/** Twilio's magic test numbers for a call's `To`, as they behave with test credentials. */
const MAGIC_TO: Record<string, (to: string) => MessageRejection> = {
  '+15005550001': (to) => reject(21217, `Phone number ${to} does not appear to be valid`),
  '+15005550002': (to) => reject(21214, `'To' phone number ${to} cannot be reached`),
  '+15005550003': (to) => reject(21215, `Account not authorized to call ${to}. Check your international permissions.`),
  '+15005550004': (to) => reject(21216, `Account not allowed to call ${to}`),
};

function reject(code: number, message: string): MessageRejection {
  return { status: 400, code, message };
}

function single(value: string | string[] | undefined): string | undefined {
  const v = first(value);
  return v === undefined || v === '' ? undefined : v;
}

function all(value: string | string[] | undefined): string[] {
  if (value === undefined) return [];
  return (Array.isArray(value) ? value : [value]).flatMap((v) => v.split(' ')).filter((v) => v !== '');
}

function isUrl(value: string): boolean {
  return URL.canParse(value) && /^https?:$/.test(new URL(value).protocol);
}

/** The events a call reports: those asked for, or `completed` alone, as Twilio defaults. */
function progressEvents(params: CreateCallParams): CallProgressEvent[] | MessageRejection {
  const asked = all(params.StatusCallbackEvent);
  if (asked.length === 0) return ['completed'];
  const unknown = asked.find((event) => !PROGRESS_EVENTS.includes(event as CallProgressEvent));
  if (unknown !== undefined) return reject(20001, `Invalid StatusCallbackEvent: ${unknown}`);
  return asked as CallProgressEvent[];
}

/**
 * Validates a create as Twilio does (required parameters, URLs, magic test numbers) and builds
 * the new call, `queued`, or answers with the error Twilio would. The TwiML is always requested
 * with POST.
 */
export function createCall(
  accountSid: string,
  params: CreateCallParams,
  now: number,
): { call: SandboxCall } | { rejection: MessageRejection } {
  const to = single(params.To);
  const from = single(params.From);
  const url = single(params.Url);
  const twiml = single(params.Twiml);
  const statusCallback = single(params.StatusCallback);
  const asyncAmdStatusCallback = single(params.AsyncAmdStatusCallback);
  const machineDetection = single(params.MachineDetection) ?? null;
  const timeout = single(params.Timeout);

  if (to === undefined) return { rejection: reject(21201, "No 'To' number is specified") };
  if (from === undefined) return { rejection: reject(21213, "No 'From' number is specified") };
  if (!PHONE.test(to)) return { rejection: reject(21211, `Invalid 'To' Phone Number: ${to}`) };
  if (!PHONE.test(from)) return { rejection: reject(21212, `Invalid 'From' Phone Number: ${from}`) };
  const magic = MAGIC_TO[to]?.(to);
  if (magic) return { rejection: magic };
  if (url === undefined && twiml === undefined)
    return { rejection: reject(21205, 'A Url or Twiml parameter is required') };
  if (url !== undefined && !isUrl(url)) return { rejection: reject(21205, `Url is not a valid URL: ${url}`) };
  if (url === undefined && twiml !== undefined && twiml.length > MAX_TWIML_CHARS)
    return { rejection: reject(21205, `Twiml is longer than ${MAX_TWIML_CHARS} characters`) };
  for (const [name, value] of [
    ['StatusCallback', statusCallback],
    ['AsyncAmdStatusCallback', asyncAmdStatusCallback],
  ] as const) {
    if (value !== undefined && !isUrl(value))
      return { rejection: reject(21609, `${name} is not a valid URL: ${value}`) };
  }
  if (machineDetection !== null && machineDetection !== 'Enable' && machineDetection !== 'DetectMessageEnd')
    return { rejection: reject(20001, `Invalid MachineDetection: ${machineDetection}`) };
  const timeoutSeconds = timeout === undefined ? DEFAULT_TIMEOUT_SECONDS : Number(timeout);
  if (!Number.isInteger(timeoutSeconds) || timeoutSeconds < 1 || timeoutSeconds > MAX_TIMEOUT_SECONDS)
    return { rejection: reject(20001, `Timeout must be a whole number of seconds from 1 to ${MAX_TIMEOUT_SECONDS}`) };
  const statusCallbackEvents = progressEvents(params);
  if ('code' in statusCallbackEvents) return { rejection: statusCallbackEvents };

  return {
    call: {
      sid: newSid('CA'),
      accountSid,
      to,
      from,
      status: 'queued',
      url: url ?? null,
      twiml: url === undefined ? (twiml ?? null) : null,
      statusCallback: statusCallback ?? null,
      statusCallbackEvents,
      machineDetection,
      asyncAmdStatusCallback: asyncAmdStatusCallback ?? null,
      timeoutSeconds,
      answeredBy: null,
      dateCreated: now,
      dateUpdated: now,
      startTime: null,
      endTime: null,
      durationSeconds: null,
      callbacksSent: 0,
      relaySession: null,
    },
  };
}
