type ContentPart = { type?: string; text?: string };

/** A message of a chat completion request, as far as the sandbox reads it. */
export interface ChatMessage {
  role: string;
  content?: string | ContentPart[] | null;
  /** An assistant message's calls, answered by `tool` messages with their `tool_call_id`. */
  tool_calls?: { id?: string; function?: { name?: string } }[];
  tool_call_id?: string;
}

/** The text of a message's content: the string, or its text parts joined by newlines. */
export function textOf(content: ChatMessage['content']): string {
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) return '';
  return content
    .map((part) => (part.type === 'text' && typeof part.text === 'string' ? part.text : ''))
    .filter(Boolean)
    .join('\n');
}
