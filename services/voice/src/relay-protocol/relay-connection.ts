import type { Logger } from '@series-killer/shared';
import { WebSocket } from 'ws';
import type { Conversation, RelaySocket } from '../conversation/conversation.ts';
import type { VoiceMetrics } from '../metrics/voice-metrics.ts';
import { type ConnectionLimits, connectionMeter } from './connection-limits.ts';
import { MalformedRelayMessageError, parseRelayMessage } from './relay-messages.ts';

/** WebSocket close code for a connection that broke the protocol's rules (RFC 6455: policy violation). */
const POLICY_VIOLATION = 1008;

/** The socket a conversation sends on: typed messages out, nothing once the socket is no longer open. */
export function relaySocket(ws: WebSocket): RelaySocket {
  return {
    send(message) {
      if (ws.readyState === WebSocket.OPEN) ws.send(JSON.stringify(message));
    },
  };
}

/**
 * Feeds one connection's messages to its conversation: each parsed at the edge, and the
 * connection closed when it sends too much, too many malformed messages, or no `setup` in time.
 */
export function serveRelayConnection(
  ws: WebSocket,
  conversation: Conversation,
  { limits, logger, metrics }: { limits: ConnectionLimits; logger: Logger; metrics: VoiceMetrics },
): void {
  const meter = connectionMeter(limits);
  metrics.liveCalls.inc();
  const refuse = (reason: string) => {
    metrics.refusals.inc({ reason });
    logger.warn({ reason }, 'relay connection closed');
    ws.close(POLICY_VIOLATION, reason);
  };
  const setupTimer = setTimeout(() => {
    if (!conversation.isSetUp) refuse('no-setup');
  }, limits.setupTimeoutMs);

  ws.on('message', (data, isBinary) => {
    const abuse = meter.message();
    if (abuse) return refuse(abuse);
    try {
      if (isBinary) throw new MalformedRelayMessageError('binary frame');
      const message = parseRelayMessage(data.toString());
      if (message.type !== 'setup' && !conversation.isSetUp) throw new MalformedRelayMessageError('before setup');
      conversation.handle(message);
    } catch (error) {
      if (!(error instanceof MalformedRelayMessageError)) throw error;
      logger.warn({ reason: error.message }, 'malformed relay message');
      const tooMany = meter.malformed();
      if (tooMany) refuse(tooMany);
    }
  });
  ws.on('error', (error) => logger.warn({ err: error }, 'relay socket error'));
  ws.once('close', () => {
    clearTimeout(setupTimer);
    metrics.liveCalls.dec();
    conversation.closed();
  });
}
