// The TwiML builder alone: the whole SDK would add tens of MB to the ingress's memory.
import { twilioCallbackUrl } from '@series-killer/shared';
import VoiceResponse from 'twilio/lib/twiml/VoiceResponse.js';
import type { KnownCaller } from './caller.repository.ts';

export interface IncomingCallTwimlOptions {
  /** The URL Twilio calls; callback URLs are built from it. */
  publicBaseUrl: string;
  /** Connection overrides of the callback URLs (`TWILIO_CALLBACK_OVERRIDES`), without `#`. */
  callbackOverrides: string;
  /** ConversationRelay WebSocket URL; unset: the caller records a message instead. */
  voiceBotWsUrl?: string;
  /** The caller, when their number is linked to a user; unset: the generic greeting. */
  caller?: KnownCaller;
}

type SayVoice = NonNullable<VoiceResponse.SayAttributes['voice']>;

/** Longest message a caller can record without a voice bot, in seconds. */
const MAX_RECORDING_SECONDS = 120;

/** Twilio voice names look like `alice`, `Polly.Joanna` or `Google.en-US-Standard-C`. */
const VOICE_NAME = /^[A-Za-z][\w.-]{0,63}$/;

function greetingVoice(caller: KnownCaller | undefined): VoiceResponse.SayAttributes {
  const voice = caller?.voicePreference;
  return voice && VOICE_NAME.test(voice) ? { voice: voice as SayVoice } : {};
}

function greeting(caller: KnownCaller | undefined): string {
  const name = caller?.firstName.trim();
  return name ? `Hi ${name}, thanks for calling Series Killer.` : 'Hi, thanks for calling Series Killer.';
}

/**
 * The TwiML answered to an incoming call: final-only real-time transcription of both
 * tracks, a greeting (by first name, in the caller's preferred voice, when known), then the
 * voice bot, or a recorded message and goodbye when no voice bot is configured.
 */
export function incomingCallTwiml(options: IncomingCallTwimlOptions): string {
  const response = new VoiceResponse();
  response.start().transcription({
    statusCallbackUrl: twilioCallbackUrl(
      options.publicBaseUrl,
      '/twilio/voice/transcription',
      options.callbackOverrides,
    ),
    track: 'both_tracks',
    partialResults: false,
  });
  const voice = greetingVoice(options.caller);
  response.say(voice, greeting(options.caller));
  if (options.voiceBotWsUrl) {
    response.connect().conversationRelay({ url: options.voiceBotWsUrl });
    return response.toString();
  }
  response.say(voice, 'After the beep, tell us what is on your mind. Hang up or press any key when you are done.');
  response.record({
    action: `${options.publicBaseUrl}/twilio/voice/recorded`,
    maxLength: MAX_RECORDING_SECONDS,
    playBeep: true,
  });
  // Twilio skips the action and carries on here when the caller said nothing.
  response.say(voice, 'Thanks for calling. Goodbye.');
  return response.toString();
}

/** The TwiML answered once a recorded message is complete. */
export function recordingDoneTwiml(): string {
  const response = new VoiceResponse();
  response.say('Thanks, we got your message. Goodbye.');
  response.hangup();
  return response.toString();
}
