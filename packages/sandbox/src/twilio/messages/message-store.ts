/** Twilio's outbound message statuses. */
export type MessageStatus = 'accepted' | 'queued' | 'sending' | 'sent' | 'delivered' | 'undelivered' | 'failed';

/** A message created through the sandbox's Messages API. Times are ms since the epoch. */
export interface SandboxMessage {
  sid: string;
  accountSid: string;
  to: string;
  /** null until a Messaging Service picks a sender, as with Twilio. */
  from: string | null;
  body: string;
  status: MessageStatus;
  statusCallback: string | null;
  messagingServiceSid: string | null;
  receivedAt: number;
  errorCode: number | null;
  numSegments: number;
  numMedia: number;
  dateSent: number | null;
  dateUpdated: number;
}

const RANK: Record<MessageStatus, number> = {
  accepted: 0,
  queued: 1,
  sending: 2,
  sent: 3,
  delivered: 4,
  undelivered: 4,
  failed: 4,
};

/** Messages by SID in creation order, keeping the newest `capacity`. */
export class MessageStore {
  readonly #capacity: number;
  #messages = new Map<string, SandboxMessage>();

  constructor(capacity: number) {
    this.#capacity = capacity;
  }

  add(message: SandboxMessage): void {
    this.#messages.set(message.sid, message);
    if (this.#messages.size > this.#capacity) {
      const oldest = this.#messages.keys().next().value;
      if (oldest !== undefined) this.#messages.delete(oldest);
    }
  }

  get(sid: string): SandboxMessage | undefined {
    return this.#messages.get(sid);
  }

  /** Oldest first. */
  all(): SandboxMessage[] {
    return [...this.#messages.values()];
  }

  /** Moves a message's status forward only; a shuffled `sent` after `delivered` changes nothing. */
  advance(sid: string, status: MessageStatus, at: number, errorCode: number | null, from: string | null): void {
    const message = this.#messages.get(sid);
    if (!message || RANK[status] <= RANK[message.status]) return;
    message.status = status;
    message.dateUpdated = at;
    message.from = message.from ?? from;
    message.dateSent ??= at;
    if (errorCode !== null) message.errorCode = errorCode;
  }

  /** Empties a message's body, as Twilio's redaction does; its record and status stay. */
  redact(sid: string, at: number): void {
    const message = this.#messages.get(sid);
    if (!message) return;
    message.body = '';
    message.dateUpdated = at;
  }

  clear(): void {
    this.#messages.clear();
  }
}
