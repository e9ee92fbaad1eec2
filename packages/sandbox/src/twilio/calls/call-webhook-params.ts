import { geographicParams } from '../drivers/geography.ts';

/** Who a call is between: `from` dials `to`. */
export interface CallParties {
  from: string;
  to: string;
}

/** The parameters every voice webhook of a call carries, as Twilio sends them. */
export function callWebhookParams(
  accountSid: string,
  callSid: string,
  parties: CallParties,
  direction: 'inbound' | 'outbound-api',
): Record<string, string> {
  return {
    AccountSid: accountSid,
    ApiVersion: '2010-04-01',
    CallSid: callSid,
    Called: parties.to,
    ...geographicParams('Called', parties.to),
    Caller: parties.from,
    ...geographicParams('Caller', parties.from),
    Direction: direction,
    From: parties.from,
    ...geographicParams('From', parties.from),
    To: parties.to,
    ...geographicParams('To', parties.to),
  };
}
