import type WebSocket from 'ws';

/** A message an application sends Twilio over a ConversationRelay WebSocket, as the driver reads it. */
export type BotMessage =
  | { type: 'text'; token: string; last: boolean }
  | { type: 'end'; handoffData: string | undefined }
  /** `play`, `sendDigits`, `language`, …: nothing the caller's side answers. */
  | { type: 'other'; kind: string };

function parseBotMessage(data: WebSocket.RawData): BotMessage | undefined {
  let message: { type?: unknown; token?: unknown; last?: unknown; handoffData?: unknown };
  try {
    message = JSON.parse(data.toString()) as typeof message;
  } catch {
    // Twilio answers a malformed message with error 64107 and goes on; so does the driver.
    return undefined;
  }
  if (message?.type === 'text' && typeof message.token === 'string')
    return { type: 'text', token: message.token, last: message.last === true };
  if (message?.type === 'end')
    return { type: 'end', handoffData: typeof message.handoffData === 'string' ? message.handoffData : undefined };
  return typeof message?.type === 'string' ? { type: 'other', kind: message.type } : undefined;
}

/** The bot's messages in arrival order, read one at a time with a deadline. */
export class BotInbox {
  readonly #queue: BotMessage[] = [];
  #wake: (() => void) | undefined;
  #closed = false;
  /** Messages that were not JSON or had no known `type`. */
  malformed = 0;
  /** The socket's error, if it failed (it closes right after). */
  error: Error | undefined;

  constructor(socket: WebSocket) {
    socket.on('message', (data) => {
      const message = parseBotMessage(data);
      if (message) this.#queue.push(message);
      else this.malformed += 1;
      this.#wake?.();
    });
    socket.on('error', (error) => {
      this.error = error;
    });
    socket.on('close', () => {
      this.#closed = true;
      this.#wake?.();
    });
  }

  /** The next message; `closed` once the socket has closed and nothing is left; `timeout` at `deadline` (epoch ms). */
  async next(deadline: number): Promise<BotMessage | 'closed' | 'timeout'> {
    for (;;) {
      const message = this.#queue.shift();
      if (message) return message;
      if (this.#closed) return 'closed';
      const remaining = deadline - Date.now();
      if (remaining <= 0) return 'timeout';
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, remaining);
        this.#wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.#wake = undefined;
    }
  }

  /**
   * Drops the rest of a reply that had already arrived (its text up to its `last` token): what
   * the bot sent before the caller barged in, which Twilio stops playing. Answers how many tokens.
   */
  dropArrivedReply(): number {
    let dropped = 0;
    for (let next = this.#queue[0]; next?.type === 'text'; next = this.#queue[0]) {
      this.#queue.shift();
      if (next.token !== '') dropped += 1;
      if (next.last) break;
    }
    return dropped;
  }

  /** Whether the bot has said something not read yet, once the messages already received are in. */
  async hasPending(): Promise<boolean> {
    await new Promise((resolve) => setImmediate(resolve));
    return this.#queue.length > 0 || this.#closed;
  }
}
