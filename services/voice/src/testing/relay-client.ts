import { waitFor } from '@series-killer/shared/testing';
import twilio from 'twilio';
import { WebSocket } from 'ws';

/** A message the voice service sent, as the client received it. */
export interface ReceivedMessage {
  type: string;
  /** `text`: the token and whether it ends the reply. */
  token?: string;
  last?: boolean;
  /** `end`: the hand-off. */
  handoffData?: string;
}

/** Twilio's side of a ConversationRelay WebSocket, driven by a test through a real `ws` client. */
export interface RelayClient {
  ws: WebSocket;
  /** Every message received, in order. */
  received: ReceivedMessage[];
  send(message: object): void;
  /** Waits until the `n`th message after `from` matching `match` has arrived; returns it. */
  next(match: (message: ReceivedMessage) => boolean, from?: number): Promise<ReceivedMessage>;
  /** The text tokens from index `from` up to and including the next `last: true`, joined. */
  reply(from?: number): Promise<string>;
  /** Resolves with the close code once the service closes the socket. */
  closed: Promise<number>;
  close(): void;
}

/** X-Twilio-Signature of a WebSocket upgrade to `url`, as Twilio's own SDK computes it (no body parameters). */
export function upgradeSignature(authToken: string, url: string): string {
  return twilio.getExpectedTwilioSignature(authToken, url, {});
}

/** Opens a relay WebSocket at `serviceUrl` + `path` with `headers`; rejects with the HTTP status when refused. */
export async function connectRelay(
  serviceUrl: string,
  path: string,
  headers: Record<string, string>,
): Promise<RelayClient> {
  const ws = new WebSocket(`${serviceUrl.replace(/^http/, 'ws')}${path}`, { headers });
  const received: ReceivedMessage[] = [];
  ws.on('message', (data) => received.push(JSON.parse(data.toString()) as ReceivedMessage));
  const closed = new Promise<number>((resolve) => ws.once('close', (code) => resolve(code)));
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('unexpected-response', (_req, res) => reject(new Error(`upgrade refused with ${res.statusCode}`)));
    ws.once('error', reject);
  });
  const client: RelayClient = {
    ws,
    received,
    closed,
    send: (message) => ws.send(JSON.stringify(message)),
    next: (match, from = 0) => waitFor('relay message', () => received.slice(from).find(match)),
    async reply(from = 0) {
      await client.next((m) => m.type === 'text' && m.last === true, from);
      const tokens: string[] = [];
      for (const message of received.slice(from)) {
        if (message.type !== 'text') continue;
        tokens.push(String(message.token));
        if (message.last) break;
      }
      return tokens.join('');
    },
    close: () => ws.close(),
  };
  return client;
}
