/** An event of a `text/event-stream` body: its type (`message` unless named) and its data lines joined. */
export interface ServerSentEvent {
  event: string;
  data: string;
}

/**
 * Reads a `text/event-stream` body, handing each event to `onEvent` as soon as its blank line
 * arrives, until the body ends or `onEvent` returns `'stop'`; the body is cancelled (its
 * connection released) when reading stops early or fails, without waiting for the cancellation. A plain loop over the body's chunks rather than a chain of async iterators:
 * a streamed reply is read a token at a time by every live call, and each layer of iterators
 * allocates per token, garbage that fills the heap when hundreds of replies stream at once.
 * Lines end with LF or CRLF, as OpenAI-compatible servers send them.
 */
export async function readServerSentEvents(
  body: ReadableStream<Uint8Array>,
  onEvent: (event: ServerSentEvent) => 'stop' | undefined,
): Promise<void> {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  let pending = '';
  let event = '';
  let data: string[] = [];
  let bodyEnded = false;
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) {
        bodyEnded = true;
        return;
      }
      pending += decoder.decode(value, { stream: true });
      let lineStart = 0;
      for (let lineEnd = pending.indexOf('\n'); lineEnd !== -1; lineEnd = pending.indexOf('\n', lineStart)) {
        const line = pending.slice(lineStart, pending[lineEnd - 1] === '\r' ? lineEnd - 1 : lineEnd);
        lineStart = lineEnd + 1;
        if (line === '') {
          if (data.length > 0 && onEvent({ event: event || 'message', data: data.join('\n') }) === 'stop') return;
          event = '';
          data = [];
        } else if (line.startsWith('data:')) data.push(fieldValue(line, 5));
        else if (line.startsWith('event:')) event = fieldValue(line, 6);
        // Comments (`:`), `id:`, `retry:` and unknown fields carry nothing a reply needs.
      }
      pending = pending.slice(lineStart);
    }
  } finally {
    if (!bodyEnded) reader.cancel().catch(() => undefined);
    reader.releaseLock();
  }
}

/** A field's value: what follows its colon, without the one space the format allows there. */
const fieldValue = (line: string, colon: number) => line.slice(line[colon] === ' ' ? colon + 1 : colon);
