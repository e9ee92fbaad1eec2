import type { Sandbox } from '@series-killer/sandbox';
import { startTestStack, type TestStack } from '@series-killer/sandbox/testing';
import { createLogger, VOICE_RELAY_PATH } from '@series-killer/shared';
import { fakeSid, freePort } from '@series-killer/shared/testing';
import { type RunningVoice, type StartVoiceOptions, startVoice } from '../start-voice.ts';
import { connectRelay, type RelayClient, upgradeSignature } from './relay-client.ts';

/** The public URL the tests' Twilio calls: a TLS proxy in front of the service, as in production. */
export const PUBLIC_RELAY_URL = 'wss://voice.series-killer.example/voice/relay';

export interface VoiceHarness {
  stack: TestStack & { sandbox: Sandbox };
  voice: RunningVoice;
  /** Opens a relay socket signed as Twilio signs it, and sends `setup` for a new call from `from`. */
  call(
    from: string,
    options?: { callSid?: string; customParameters?: Record<string, string> },
  ): Promise<RelayClient & { callSid: string }>;
  close(): Promise<void>;
}

/** A database, queues, the sandbox (for the model) and the voice service with `env` over the test defaults. */
export async function startVoiceHarness(
  env: Record<string, string> = {},
  options: StartVoiceOptions = {},
): Promise<VoiceHarness> {
  const stack = await startTestStack({
    sandbox: true,
    env: { VOICE_PORT: String(await freePort()), VOICE_BOT_PUBLIC_URL: PUBLIC_RELAY_URL, ...env },
  });
  const voice = await startVoice(stack.config, { logger: createLogger('voice', 'silent'), ...options });
  stack.onClose(voice.close);
  const signature = upgradeSignature(stack.config.twilio.authToken, PUBLIC_RELAY_URL);
  return {
    stack,
    voice,
    async call(from, { callSid = fakeSid('CA'), customParameters = {} } = {}) {
      const client = await connectRelay(voice.url, VOICE_RELAY_PATH, { 'X-Twilio-Signature': signature });
      client.send({
        type: 'setup',
        sessionId: fakeSid('VX'),
        accountSid: stack.config.twilio.accountSid,
        callSid,
        from,
        to: '+15005550006',
        direction: 'inbound',
        callType: 'PSTN',
        callStatus: 'RINGING',
        customParameters,
      });
      return Object.assign(client, { callSid });
    },
    close: () => stack.close(),
  };
}
