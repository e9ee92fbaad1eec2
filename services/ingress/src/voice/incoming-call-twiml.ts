// The TwiML builder alone: the whole SDK would add tens of MB to the ingress's memory.
import { twilioCallbackUrl } from '@series-killer/shared';
import VoiceResponse from 'twilio/lib/twiml/VoiceResponse.js';
import type { KnownCaller } from './caller.repository.ts';
import { relayVoiceFor } from './relay-voice.ts';

export interface IncomingCallTwimlOptions {
  /** The URL Twilio calls; callback URLs are built from it. */
  publicBaseUrl: string;
  /** Connection overrides of the callback URLs (`TWILIO_CALLBACK_OVERRIDES`), without `#`. */
  callbackOverrides: string;
  /** An external ConversationRelay bot's WebSocket URL (`VOICE_BOT_WS_URL`); it wins over ours. */
  voiceBotWsUrl?: string;
  /** Our voice bot's public WebSocket URL; unset (`VOICE_BOT=off`): the caller records a message instead. */
  relayUrl?: string;
  /** The caller, when their number is linked to a user; unset: the generic greeting. */
  caller?: KnownCaller;
}

type SayVoice = NonNullable<VoiceResponse.SayAttributes['voice']>;

/** Longest message a caller can record without a voice bot, in seconds. */
const MAX_RECORDING_SECONDS = 120;

/** Twilio voice names look like `alice`, `Polly.Joanna` or `Google.en-US-Standard-C`. */
const VOICE_NAME = /^[A-Za-z][\w.-]{0,63}$/;

export function greetingVoice(caller: KnownCaller | undefined): VoiceResponse.SayAttributes {
  const voice = caller?.voicePreference;
  return voice && VOICE_NAME.test(voice) ? { voice: voice as SayVoice } : {};
}

function greeting(caller: KnownCaller | undefined): string {
  const name = caller?.firstName.trim();
  return name ? `Hi ${name}, thanks for calling Series Killer.` : 'Hi, thanks for calling Series Killer.';
}

/** The `<Parameter>`s our voice service reads from `setup.customParameters`. */
export const RELAY_PARAMETERS = { welcomeGreeting: 'welcomeGreeting' } as const;

/**
 * Our voice bot answers: `<Connect action=relay-ended><ConversationRelay>` greeting the caller by
 * first name in their voice, interruptible by speech or keys, with digits and reconnection on. No
 * `<Start><Transcription>`: ConversationRelay already transcribes the caller, and the bot stores
 * each turn.
 */
export function relayTwiml(
  options: IncomingCallTwimlOptions & {
    relayUrl: string;
    /** Default: the greeting of an incoming call. */
    welcomeGreeting?: string;
    /** More `<Parameter>`s for the voice service. */
    parameters?: Record<string, string>;
  },
): string {
  const response = new VoiceResponse();
  const welcome = options.welcomeGreeting ?? greeting(options.caller);
  const voice = relayVoiceFor(options.caller?.voicePreference);
  const relay = response
    .connect({ action: `${options.publicBaseUrl}/twilio/voice/relay-ended`, method: 'POST' })
    .conversationRelay({
      url: options.relayUrl,
      welcomeGreeting: welcome,
      ...(voice.ttsProvider ? { ttsProvider: voice.ttsProvider, voice: voice.voice } : {}),
      language: voice.language,
      interruptible: 'any',
      dtmfDetection: true,
      // Not in the SDK's types yet: on a dropped socket Twilio reconnects instead of ending the session.
      applicationReconnect: 'true',
    } as VoiceResponse.ConversationRelayAttributes);
  relay.parameter({ name: RELAY_PARAMETERS.welcomeGreeting, value: welcome });
  for (const [name, value] of Object.entries(options.parameters ?? {})) relay.parameter({ name, value });
  return response.toString();
}

/**
 * The TwiML answered to an incoming call: our voice bot when it is on; else final-only real-time
 * transcription of both tracks, a greeting (by first name, in the caller's preferred voice, when
 * known), then an external voice bot, or a recorded message and goodbye.
 */
export function incomingCallTwiml(options: IncomingCallTwimlOptions): string {
  if (options.relayUrl && !options.voiceBotWsUrl) return relayTwiml({ ...options, relayUrl: options.relayUrl });
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

/** What the `<Connect action>` callback answers once a ConversationRelay session has ended. */
export type RelayEndedOutcome = { kind: 'dial'; number: string } | { kind: 'apologise' } | { kind: 'hang-up' };

/** `<Dial>` for a hand-off to a person, a spoken apology for a failed session, else `<Hangup/>`. */
export function relayEndedTwiml(outcome: RelayEndedOutcome): string {
  const response = new VoiceResponse();
  if (outcome.kind === 'dial') {
    response.dial(outcome.number);
    return response.toString();
  }
  if (outcome.kind === 'apologise')
    response.say('Sorry, something went wrong on our side. Please call again in a moment. Goodbye.');
  response.hangup();
  return response.toString();
}
