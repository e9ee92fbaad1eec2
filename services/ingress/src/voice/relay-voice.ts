/** The text-to-speech settings of a ConversationRelay session. */
export interface RelayVoice {
  ttsProvider?: 'Amazon' | 'Google' | 'ElevenLabs';
  voice?: string;
  /** BCP-47 language of speech and transcription. */
  language: string;
}

const DEFAULT_LANGUAGE = 'en-US';

/** The English Polly voices, by language: a preference naming another Polly voice gets the default voice. */
const POLLY_LANGUAGES: Record<string, string> = {
  Joanna: 'en-US',
  Matthew: 'en-US',
  Salli: 'en-US',
  Kimberly: 'en-US',
  Kendra: 'en-US',
  Joey: 'en-US',
  Justin: 'en-US',
  Ivy: 'en-US',
  Ruth: 'en-US',
  Stephen: 'en-US',
  Danielle: 'en-US',
  Gregory: 'en-US',
  Amy: 'en-GB',
  Emma: 'en-GB',
  Brian: 'en-GB',
  Arthur: 'en-GB',
  Olivia: 'en-AU',
};

const POLLY = /^Polly\.([A-Z][a-z]+)(?:-(Neural|Generative))?$/;
const GOOGLE = /^Google\.([a-z]{2,3}-[A-Z]{2})-([A-Za-z0-9-]{1,40})$/;
const ELEVENLABS = /^ElevenLabs\.([A-Za-z0-9]{10,40})$/;

/**
 * ConversationRelay's provider and voice for a user's `voice_preference`, written as for `<Say>`
 * (`Polly.Joanna`, `Google.en-GB-Standard-A`) or as `ElevenLabs.<voice id>`. Polly voices map to
 * their neural form (ConversationRelay's Amazon voices are `Joanna-Neural`, …). Anything else —
 * unset, `alice`, a voice ConversationRelay lacks — gets the default voice: a preference never
 * fails a call.
 */
export function relayVoiceFor(preference: string | null | undefined): RelayVoice {
  const value = preference?.trim() ?? '';
  const polly = POLLY.exec(value);
  const pollyLanguage = polly ? POLLY_LANGUAGES[polly[1] as string] : undefined;
  if (polly && pollyLanguage)
    return { ttsProvider: 'Amazon', voice: `${polly[1]}-${polly[2] ?? 'Neural'}`, language: pollyLanguage };
  const google = GOOGLE.exec(value);
  if (google) return { ttsProvider: 'Google', voice: `${google[1]}-${google[2]}`, language: google[1] as string };
  const elevenLabs = ELEVENLABS.exec(value);
  if (elevenLabs) return { ttsProvider: 'ElevenLabs', voice: elevenLabs[1], language: DEFAULT_LANGUAGE };
  return { language: DEFAULT_LANGUAGE };
}
