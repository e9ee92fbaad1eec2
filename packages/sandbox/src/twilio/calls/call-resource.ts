import { rfc2822 } from '../dates.ts';
import type { SandboxCall } from './call-store.ts';

export function callUri(accountSid: string, sid: string): string {
  return `/2010-04-01/Accounts/${accountSid}/Calls/${sid}.json`;
}

/** The subresources Twilio lists for a call, as in its OpenAPI description's `create` example. */
const SUBRESOURCES = [
  ['notifications', 'Notifications'],
  ['recordings', 'Recordings'],
  ['payments', 'Payments'],
  ['events', 'Events'],
  ['siprec', 'Siprec'],
  ['streams', 'Streams'],
  ['transcriptions', 'Transcriptions'],
  ['user_defined_message_subscriptions', 'UserDefinedMessageSubscriptions'],
  ['user_defined_messages', 'UserDefinedMessages'],
] as const;

/** `+14155550100` → `(415) 555-0100` for North American numbers, else as given. */
function formatted(number: string): string {
  const nanp = /^\+1(\d{3})(\d{3})(\d{4})$/.exec(number);
  return nanp ? `(${nanp[1]}) ${nanp[2]}-${nanp[3]}` : number;
}

/** A call in the JSON shape of Twilio's 2010-04-01 Call resource. */
export function callResource(call: SandboxCall) {
  const uri = callUri(call.accountSid, call.sid);
  const base = uri.replace(/\.json$/, '');
  return {
    account_sid: call.accountSid,
    answered_by: call.answeredBy,
    api_version: '2010-04-01',
    caller_name: null,
    date_created: rfc2822(call.dateCreated),
    date_updated: rfc2822(call.dateUpdated),
    direction: 'outbound-api',
    duration: call.durationSeconds === null ? null : String(call.durationSeconds),
    end_time: call.endTime === null ? null : rfc2822(call.endTime),
    forwarded_from: null,
    from: call.from,
    from_formatted: formatted(call.from),
    group_sid: null,
    parent_call_sid: null,
    phone_number_sid: null,
    price: null,
    price_unit: 'USD',
    queue_time: '0',
    sid: call.sid,
    start_time: call.startTime === null ? null : rfc2822(call.startTime),
    status: call.status,
    subresource_uris: Object.fromEntries(SUBRESOURCES.map(([key, path]) => [key, `${base}/${path}.json`])),
    to: call.to,
    to_formatted: formatted(call.to),
    trunk_sid: null,
    uri,
  };
}
