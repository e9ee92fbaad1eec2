import { describe, expect, it } from '@jest/globals';
import { readServerSentEvents, type ServerSentEvent } from './server-sent-events.ts';

/** A body that arrives in the given pieces, as a network would cut it; `cancelled` tells whether it was cancelled. */
function bodyOf(pieces: string[]) {
  const encoder = new TextEncoder();
  const state = { cancelled: false };
  const body = new ReadableStream<Uint8Array>({
    start(controller) {
      for (const piece of pieces) controller.enqueue(encoder.encode(piece));
      controller.close();
    },
    cancel() {
      state.cancelled = true;
    },
  });
  return { body, state };
}

async function eventsOf(pieces: string[]): Promise<ServerSentEvent[]> {
  const events: ServerSentEvent[] = [];
  await readServerSentEvents(bodyOf(pieces).body, (event) => {
    events.push(event);
    return undefined;
  });
  return events;
}

describe('readServerSentEvents', () => {
  it('hands on each event once its blank line arrives, however the body is cut', async () => {
    const stream = 'data: {"a":1}\n\ndata: {"b":2}\n\ndata: [DONE]\n\n';
    const whole = await eventsOf([stream]);
    const byteByByte = await eventsOf([...stream]);
    expect(whole).toEqual([
      { event: 'message', data: '{"a":1}' },
      { event: 'message', data: '{"b":2}' },
      { event: 'message', data: '[DONE]' },
    ]);
    expect(byteByByte).toEqual(whole);
  });

  it('reads CRLF lines, named events, data over several lines, and skips comments and other fields', async () => {
    const events = await eventsOf([
      ': keep-alive\r\n\r\nevent: error\r\nid: 7\r\ndata: line one\r\ndata:line two\r\n\r\n',
    ]);
    expect(events).toEqual([{ event: 'error', data: 'line one\nline two' }]);
  });

  it('decodes characters split between chunks', async () => {
    const bytes = new TextEncoder().encode('data: café ☕\n\n');
    const body = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(bytes.slice(0, 10));
        controller.enqueue(bytes.slice(10));
        controller.close();
      },
    });
    const events: ServerSentEvent[] = [];
    await readServerSentEvents(body, (event) => {
      events.push(event);
      return undefined;
    });
    expect(events).toEqual([{ event: 'message', data: 'café ☕' }]);
  });

  it('stops at a stop and cancels the rest of the body', async () => {
    const { body, state } = bodyOf(['data: 1\n\ndata: 2\n\n', 'data: 3\n\n']);
    const seen: string[] = [];
    await readServerSentEvents(body, (event) => {
      seen.push(event.data);
      return event.data === '2' ? 'stop' : undefined;
    });
    expect(seen).toEqual(['1', '2']);
    expect(state.cancelled).toBe(true);
  });

  it('cancels the body when handling an event fails, and passes the failure on', async () => {
    const { body, state } = bodyOf(['data: 1\n\n', 'data: 2\n\n']);
    const failure = new Error('bad event');
    await expect(
      readServerSentEvents(body, () => {
        throw failure;
      }),
    ).rejects.toBe(failure);
    expect(state.cancelled).toBe(true);
  });
});
