import { z } from 'zod';
import { jsonText } from '../formats/json-text.ts';

/** Why the voice bot ended a ConversationRelay session. */
export const HANDOFF_REASONS = ['goodbye', 'transfer', 'idle', 'max-call', 'model-failed'] as const;
export type HandoffReason = (typeof HANDOFF_REASONS)[number];

const handoffSchema = z.object({
  reason: z.enum(HANDOFF_REASONS),
  /** Turns the bot stored as `bot-turn` jobs during the session. */
  turns: z.number().int().min(0),
});

/**
 * The `handoffData` of the bot's `end` message, which Twilio posts to the `<Connect action>` URL
 * as `HandoffData`: why the session ended (the action callback dials a person for `transfer`) and
 * how many turns the transcript should hold.
 */
export type RelayHandoff = z.output<typeof handoffSchema>;

export function encodeRelayHandoff(handoff: RelayHandoff): string {
  return JSON.stringify(handoff);
}

const handoffData = jsonText.pipe(handoffSchema);

/** The hand-off in `HandoffData`; undefined when it is absent or not one our bot wrote. */
export function parseRelayHandoff(data: string | undefined): RelayHandoff | undefined {
  if (!data) return undefined;
  const result = handoffData.safeParse(data);
  return result.success ? result.data : undefined;
}
