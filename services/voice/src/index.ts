export { type RunningVoice, type StartVoiceOptions, startVoice, type VoiceServiceConfig } from './start-voice.ts';
