import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import {
  isTwilioSignature,
  SIGNATURE_SETTINGS_HEADER,
  signedUrlForms,
  signerOf,
  signersOf,
  TwilioSignatureRefusedError,
  type TwilioSigningKeys,
} from '@series-killer/shared';

/** Why an upgrade is refused; `undefined` lets it through. */
export type UpgradeRefusal = { status: 403 | 404; reason: string } | undefined;

const header = (req: IncomingMessage, name: string): string | undefined => {
  const value = req.headers[name.toLowerCase()];
  return Array.isArray(value) ? value[0] : value;
};

/**
 * The check of a WebSocket upgrade: only `path`, and only signed by Twilio. Twilio signs the
 * `wss://` URL it called (query included, no body parameters) with `X-Twilio-Signature`, under the
 * auth token or a Webhook Rule's shared key, as it signs webhooks. The URL is rebuilt from the
 * configured public URL's origin and the request's path and query, never from the Host header,
 * which a TLS-terminating proxy or an attacker controls.
 */
export function upgradeCheck(options: {
  keys: TwilioSigningKeys;
  /** `VOICE_BOT_PUBLIC_URL`: the URL Twilio is given. */
  publicUrl: string;
  /** The path the WebSocket is served at. */
  path: string;
}): (req: IncomingMessage) => UpgradeRefusal {
  const signers = signersOf(options.keys);
  const origin = new URL(options.publicUrl).origin.replace(/^http/, 'ws');
  return (req) => {
    const target = req.url ?? '';
    if (target.split('?')[0] !== options.path) return { status: 404, reason: 'no WebSocket here' };
    const given = header(req, 'X-Twilio-Signature');
    if (!given) return { status: 403, reason: 'missing X-Twilio-Signature' };
    try {
      const sign = signerOf(header(req, SIGNATURE_SETTINGS_HEADER), signers);
      if (!isTwilioSignature(given, sign, [origin + target], {}, signedUrlForms))
        return { status: 403, reason: 'invalid X-Twilio-Signature' };
    } catch (error) {
      if (error instanceof TwilioSignatureRefusedError) return { status: 403, reason: error.message };
      throw error;
    }
    return undefined;
  };
}

const STATUS_TEXT = { 403: 'Forbidden', 404: 'Not Found' } as const;

/** Answers a refused upgrade on the raw socket and closes it: no WebSocket is ever opened. */
export function refuseUpgrade(socket: Duplex, refusal: NonNullable<UpgradeRefusal>): void {
  const body = `${refusal.reason}\n`;
  socket.end(
    `HTTP/1.1 ${refusal.status} ${STATUS_TEXT[refusal.status]}\r\nConnection: close\r\n` +
      `Content-Type: text/plain\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
  );
}
