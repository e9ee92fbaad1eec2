import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import twilio from 'twilio';

/** A webhook as a receiving application saw it. */
export interface ReceivedWebhook {
  path: string;
  params: Record<string, string>;
  signature: string | undefined;
  idempotencyToken: string | undefined;
  contentType: string | undefined;
  /** Whether `twilio.validateRequest` accepts it for the URL it was sent to. */
  validSignature: boolean;
}

export interface WebhookReceiver {
  url: string;
  received: ReceivedWebhook[];
  /** Decides the next answers: an HTTP status (200 answers `<Response/>`) or TwiML to answer with 200; default 204. */
  respondWith(answer: (webhook: ReceivedWebhook) => number | { twiml: string }): void;
  close(): Promise<void>;
}

/** A local stand-in for an application Twilio calls: records every webhook and checks its signature. */
export async function startWebhookReceiver(authToken: string): Promise<WebhookReceiver> {
  const received: ReceivedWebhook[] = [];
  let decide: (webhook: ReceivedWebhook) => number | { twiml: string } = () => 204;
  let baseUrl = '';
  const app = express();
  app.use(express.urlencoded({ extended: false }));
  app.post('/{*path}', (req, res) => {
    const params = req.body as Record<string, string>;
    const signature = req.get('X-Twilio-Signature');
    const webhook: ReceivedWebhook = {
      path: req.path,
      params,
      signature,
      idempotencyToken: req.get('I-Twilio-Idempotency-Token'),
      contentType: req.get('Content-Type'),
      validSignature: twilio.validateRequest(authToken, signature ?? '', `${baseUrl}${req.originalUrl}`, params),
    };
    received.push(webhook);
    const answer = decide(webhook);
    if (typeof answer === 'object') res.type('text/xml').send(answer.twiml);
    else if (answer === 200) res.type('text/xml').send('<Response/>');
    else res.status(answer).end();
  });
  const server = await new Promise<Server>((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url: baseUrl,
    received,
    respondWith(answer) {
      decide = answer;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
