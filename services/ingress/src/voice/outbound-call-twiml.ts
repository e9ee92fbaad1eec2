// The TwiML builder alone: the whole SDK would add tens of MB to the ingress's memory.
import { OUTBOUND_CALL_PARAMETERS } from '@series-killer/shared';
import VoiceResponse from 'twilio/lib/twiml/VoiceResponse.js';
import { greetingVoice, relayTwiml } from './incoming-call-twiml.ts';
import type { AnsweredOutboundCall } from './outbound-call.repository.ts';

export interface OutboundCallTwimlOptions {
  publicBaseUrl: string;
  callbackOverrides: string;
  /** The voice bot's WebSocket URL (an external bot's, else ours); unset: a short message instead. */
  relayUrl?: string;
  /** The call; unset when it could not be read in time (a generic greeting, no purpose). */
  call?: AnsweredOutboundCall;
  /** Answering-machine detection's verdict (`human`, `machine_end_beep`, `unknown`, …). */
  answeredBy?: string;
}

/** Whether answering-machine detection heard a machine (or a fax) rather than a person. */
export function isMachine(answeredBy: string | undefined): boolean {
  return answeredBy !== undefined && (answeredBy.startsWith('machine') || answeredBy === 'fax');
}

function opening(call: AnsweredOutboundCall | undefined): string {
  const name = call?.firstName.trim();
  return name ? `Hi ${name}, it's Series Killer` : "Hi, it's Series Killer";
}

/** "Hi Ada, it's Series Killer calling about …" */
export function outboundGreeting(call: AnsweredOutboundCall | undefined): string {
  return call?.purpose ? `${opening(call)} calling about ${call.purpose}.` : `${opening(call)} calling.`;
}

/** What a voicemail hears: short, no purpose (anyone with the phone may play it back). */
function voicemailMessage(call: AnsweredOutboundCall | undefined): string {
  return `${opening(call)}. Sorry we missed you; we will try again another time. Goodbye.`;
}

/**
 * The TwiML of an answered outbound call: a person gets the voice bot, greeted as an outbound
 * call and told (in `<Parameter>`s) the call's id and purpose; a machine gets a short message in
 * the user's voice and a hang-up, never the bot.
 */
export function outboundCallTwiml(options: OutboundCallTwimlOptions): string {
  const { call } = options;
  const voice = greetingVoice(call && { firstName: call.firstName, voicePreference: call.voicePreference });
  if (isMachine(options.answeredBy) || !options.relayUrl) {
    const response = new VoiceResponse();
    const withoutBot = `${outboundGreeting(call)} Please call us back when you have a moment. Goodbye.`;
    response.say(voice, isMachine(options.answeredBy) ? voicemailMessage(call) : withoutBot);
    response.hangup();
    return response.toString();
  }
  return relayTwiml({
    ...options,
    relayUrl: options.relayUrl,
    caller: call && { firstName: call.firstName, voicePreference: call.voicePreference },
    welcomeGreeting: outboundGreeting(call),
    parameters: call
      ? {
          [OUTBOUND_CALL_PARAMETERS.outboundCallId]: call.id,
          ...(call.purpose ? { [OUTBOUND_CALL_PARAMETERS.purpose]: call.purpose } : {}),
        }
      : {},
  });
}
