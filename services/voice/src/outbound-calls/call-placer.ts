import type { Config } from '@series-killer/shared';
import type { TwilioClient } from '@series-killer/shared/twilio';

/** One call to place. */
export interface OutboundDial {
  to: string;
  /** Where Twilio asks for TwiML once the call is answered. */
  twimlUrl: string;
  statusCallbackUrl: string;
}

/** Twilio's Calls API as the placing worker uses it. */
export interface CallPlacer {
  /** The number calls are placed from. */
  readonly from: string;
  /** Places the call, with answering-machine detection and status callbacks; resolves with its SID. */
  dial(call: OutboundDial): Promise<string>;
  /** SIDs of our calls to `to` created at or after `since`, newest first. */
  findCalls(to: string, since: Date): Promise<string[]>;
  /** Ends a call: canceled before it is answered, hung up after. */
  hangUp(callSid: string): Promise<void>;
}

/** The status callbacks an outbound call asks for: every step, so its history moves forward from `initiated`. */
const STATUS_EVENTS = ['initiated', 'ringing', 'answered', 'completed'];

/** How long a placed call rings before it counts as unanswered, in seconds (Twilio's default is 60). */
const RING_SECONDS = 30;

/** Most calls to one number looked at when an earlier placement may have reached Twilio. */
const LOOKUP_LIMIT = 20;

/** The CallPlacer over the Twilio SDK. */
export function createTwilioCallPlacer(client: TwilioClient, from: string): CallPlacer {
  return {
    from,
    async dial(call) {
      const created = await client.calls.create({
        to: call.to,
        from,
        url: call.twimlUrl,
        method: 'POST',
        statusCallback: call.statusCallbackUrl,
        statusCallbackMethod: 'POST',
        statusCallbackEvent: STATUS_EVENTS,
        // Waits for the greeting's end, so a voicemail's message lands after the beep.
        machineDetection: 'DetectMessageEnd',
        timeout: RING_SECONDS,
      });
      return created.sid;
    },
    async findCalls(to, since) {
      const calls = await client.calls.list({ to, from, limit: LOOKUP_LIMIT });
      return calls.filter((call) => call.dateCreated >= since).map((call) => call.sid);
    },
    async hangUp(callSid) {
      const { status } = await client.calls(callSid).fetch();
      if (['queued', 'initiated', 'ringing'].includes(status))
        await client.calls(callSid).update({ status: 'canceled' });
      else if (status === 'in-progress') await client.calls(callSid).update({ status: 'completed' });
    },
  };
}

/**
 * The Twilio CallPlacer, its SDK loaded when the first call is placed: a voice service that places
 * no calls never holds the SDK (about 4 MB of its idle RSS). `timeoutMs` bounds each request to Twilio.
 */
export function lazyTwilioCallPlacer(config: Config['twilio'], from: string, timeoutMs: number): CallPlacer {
  let placer: Promise<CallPlacer> | undefined;
  const loaded = () =>
    (placer ??= import('@series-killer/shared/twilio').then(({ createTwilioClient }) =>
      createTwilioCallPlacer(createTwilioClient(config, { timeoutMs }), from),
    ));
  return {
    from,
    dial: async (call) => (await loaded()).dial(call),
    findCalls: async (to, since) => (await loaded()).findCalls(to, since),
    hangUp: async (callSid) => (await loaded()).hangUp(callSid),
  };
}
