/** A Twilio error the Messages API answers instead of creating a message. */
export interface MessageRejection {
  status: number;
  code: number;
  message: string;
}

/** Twilio's magic test numbers for `To`, as they behave with test credentials. */
const MAGIC_TO: Record<string, (to: string) => MessageRejection> = {
  '+15005550001': (to) => ({ status: 400, code: 21211, message: `Invalid 'To' Phone Number: ${to}` }),
  '+15005550002': (to) => ({
    status: 400,
    code: 21612,
    message: `The 'To' phone number: ${to}, is not currently reachable via SMS.`,
  }),
  '+15005550003': (to) => ({
    status: 400,
    code: 21408,
    message: `Permission to send an SMS has not been enabled for the region indicated by the 'To' number: ${to}.`,
  }),
  '+15005550004': () => ({ status: 400, code: 21610, message: 'Attempt to send to unsubscribed recipient' }),
  '+15005550009': () => ({ status: 400, code: 21614, message: "'To' number is not a valid mobile number" }),
};

/** Twilio's magic test numbers for `From`; +15005550006 is the one valid sender. */
const MAGIC_FROM: Record<string, (from: string) => MessageRejection> = {
  '+15005550001': (from) => ({ status: 400, code: 21212, message: `Invalid From Number (caller ID): ${from}` }),
  '+15005550007': (from) => ({
    status: 400,
    code: 21606,
    message: `The From phone number ${from} is not a valid, SMS-capable inbound phone number or short code for your account.`,
  }),
  '+15005550008': () => ({
    status: 429,
    code: 21611,
    message: 'This From number has exceeded the maximum number of queued messages',
  }),
};

export function magicToRejection(to: string): MessageRejection | undefined {
  return MAGIC_TO[to]?.(to);
}

export function magicFromRejection(from: string): MessageRejection | undefined {
  return MAGIC_FROM[from]?.(from);
}
