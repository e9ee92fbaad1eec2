import { z } from 'zod';

/** `durationUntilInterruptMs` has been seen as a number and as a string. */
const milliseconds = z.union([z.number(), z.string().regex(/^\d+$/).transform(Number)]);

const setupMessage = z.object({
  type: z.literal('setup'),
  sessionId: z.string().min(1).max(64),
  callSid: z.string().regex(/^CA[0-9a-fA-F]{32}$/, 'must be a Twilio Call SID'),
  accountSid: z.string().max(64).optional(),
  from: z.string().max(64).default(''),
  to: z.string().max(64).default(''),
  direction: z.string().max(32).optional(),
  customParameters: z.record(z.string(), z.string().max(1_000)).default({}),
});

const promptMessage = z.object({
  type: z.literal('prompt'),
  voicePrompt: z.string().max(8_000),
  lang: z.string().max(16).optional(),
  /** Partial prompts (when enabled) come with `last: false`; only the final one is answered. */
  last: z.boolean().default(true),
});

const interruptMessage = z.object({
  type: z.literal('interrupt'),
  utteranceUntilInterrupt: z.string().max(8_000).default(''),
  durationUntilInterruptMs: milliseconds.optional(),
});

const dtmfMessage = z.object({
  type: z.literal('dtmf'),
  digit: z.string().regex(/^[0-9*#]$/, 'must be one DTMF digit'),
});

const errorMessage = z.object({
  type: z.literal('error'),
  description: z.string().max(2_000).default(''),
});

const relayMessage = z.discriminatedUnion('type', [
  setupMessage,
  promptMessage,
  interruptMessage,
  dtmfMessage,
  errorMessage,
]);

/** A message Twilio sends over the ConversationRelay WebSocket, validated. */
export type RelayMessage = z.output<typeof relayMessage>;
export type SetupMessage = z.output<typeof setupMessage>;

/** A message that is not JSON or not one ConversationRelay sends; the reason names the problem. */
export class MalformedRelayMessageError extends Error {
  constructor(reason: string, options?: ErrorOptions) {
    super(`malformed ConversationRelay message: ${reason}`, options);
    this.name = 'MalformedRelayMessageError';
  }
}

/** Parses one WebSocket text frame into a typed message; throws MalformedRelayMessageError. */
export function parseRelayMessage(text: string): RelayMessage {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new MalformedRelayMessageError('not JSON', { cause: error });
  }
  const result = relayMessage.safeParse(json);
  if (result.success) return result.data;
  const reason = result.error.issues.map((issue) => `${issue.path.join('.') || 'type'} ${issue.message}`).join('; ');
  throw new MalformedRelayMessageError(reason, { cause: result.error });
}

/** Messages the bot sends to Twilio. */
export type BotMessage =
  | { type: 'text'; token: string; last: boolean; interruptible?: boolean }
  | { type: 'end'; handoffData: string };
