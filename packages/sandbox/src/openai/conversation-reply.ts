import { type ChatMessage, textOf } from './chat-message.ts';
import { type JsonSchema, jsonFromSchema } from './json-from-schema.ts';

/** A function the request offers the model (`tools[]`). */
export interface OfferedTool {
  type?: string;
  function?: { name?: string; parameters?: JsonSchema };
}

/** What the model answers in a conversation: spoken text, or one call of an offered function. */
export type ConversationReply = { kind: 'text'; text: string } | { kind: 'tool_call'; name: string; arguments: string };

/** Which offered function a caller's words ask for, first match wins. */
const TOOL_INTENTS: readonly { name: string; words: RegExp }[] = [
  { name: 'end_call', words: /\b(good\s*-?bye|bye)\b/i },
  { name: 'transfer_to_human', words: /\b(human|agent|person|representative|operator)\b/i },
  { name: 'text_caller', words: /\b(text|send) me\b/i },
];

/** What the model says once a function it called has answered. */
const AFTER_TOOL: Record<string, string> = {
  end_call: 'Thank you for calling. Goodbye!',
  transfer_to_human: 'Please hold while I connect you to a person.',
  text_caller: 'I have just sent you a text message.',
};

const MAX_ECHOED_WORDS = 40;

function spokenReply(userText: string): string {
  const heard = userText.split(/\s+/).filter(Boolean).slice(0, MAX_ECHOED_WORDS).join(' ');
  if (heard === '') return 'Hello! How can I help you today?';
  const sentence = /[.!?]$/.test(heard) ? heard : `${heard.replace(/[,;:]+$/, '')}.`;
  return `You said: ${sentence} I can help you with that. Is there anything else you would like to know?`;
}

function offeredFunctions(tools: unknown): Map<string, OfferedTool> {
  const offered = new Map<string, OfferedTool>();
  if (!Array.isArray(tools)) return offered;
  for (const tool of tools as OfferedTool[]) {
    const name = tool?.type === 'function' ? tool.function?.name : undefined;
    if (typeof name === 'string') offered.set(name, tool);
  }
  return offered;
}

/** The function `tool_choice` and the caller's words select, if any. */
function chosenFunction(offered: Map<string, OfferedTool>, toolChoice: unknown, userText: string): string | undefined {
  if (offered.size === 0 || toolChoice === 'none') return undefined;
  const forced = (toolChoice as { function?: { name?: string } } | null)?.function?.name;
  if (typeof forced === 'string' && offered.has(forced)) return forced;
  const asked = TOOL_INTENTS.find((intent) => offered.has(intent.name) && intent.words.test(userText))?.name;
  if (asked) return asked;
  return toolChoice === 'required' ? offered.keys().next().value : undefined;
}

/** The name of the function whose result the last message carries. */
function answeredFunction(messages: ChatMessage[], toolMessage: ChatMessage): string | undefined {
  for (const message of messages) {
    const call = message.tool_calls?.find((c) => c.id === toolMessage.tool_call_id);
    if (call) return call.function?.name;
  }
  return undefined;
}

/**
 * The model's deterministic turn in a conversation: after a function result, a short line
 * about what was done; when the last user message asks for an offered function (goodbye →
 * `end_call`, a person → `transfer_to_human`, "text me" → `text_caller`), a call of it with
 * arguments valid for its parameters schema; otherwise a few sentences echoing that message.
 */
export function conversationReply(messages: ChatMessage[], tools: unknown, toolChoice: unknown): ConversationReply {
  const last = messages.at(-1);
  if (last?.role === 'tool') {
    const name = answeredFunction(messages, last);
    return { kind: 'text', text: (name && AFTER_TOOL[name]) ?? 'All right, that is done.' };
  }
  const userText = textOf(messages.findLast((m) => m.role === 'user')?.content).trim();
  const offered = offeredFunctions(tools);
  const name = chosenFunction(offered, toolChoice, userText);
  if (name === undefined) return { kind: 'text', text: spokenReply(userText) };
  const schema = offered.get(name)?.function?.parameters ?? { type: 'object', properties: {} };
  const args = jsonFromSchema(schema, { summary: userText, sentences: userText ? [userText] : [] });
  return { kind: 'tool_call', name, arguments: JSON.stringify(args) };
}

/** Text as a model streams it: word tokens, each but the first with its leading space. */
export function wordTokens(text: string): string[] {
  return text.match(/\s*\S+/g) ?? [];
}

/** JSON arguments as a model streams them: pieces of about a token (four characters). */
export function argumentPieces(json: string): string[] {
  return json.match(/[\s\S]{1,4}/g) ?? [];
}
