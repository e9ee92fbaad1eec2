import { once } from 'node:events';
import { readFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  type ConfigOf,
  closeQueues,
  createDb,
  createLogger,
  createQueues,
  createRedisConnection,
  type Db,
  type Logger,
  type RedisConnection,
  VOICE_RELAY_PATH,
  withTimeout,
} from '@series-killer/shared';
import { sql } from 'kysely';
import type OpenAI from 'openai';
import type { Registry } from 'prom-client';
import { WebSocketServer } from 'ws';
import { DEFAULT_INSTRUCTIONS } from './conversation/bot-instructions.ts';
import { Conversation, type ConversationSettings } from './conversation/conversation.ts';
import { createVoiceMetrics } from './metrics/voice-metrics.ts';
import { type OutboundCallsConfig, startOutboundCallWorkers } from './outbound-calls/start-outbound-call-workers.ts';
import { type ConnectionLimits, DEFAULT_CONNECTION_LIMITS } from './relay-protocol/connection-limits.ts';
import { relaySocket, serveRelayConnection } from './relay-protocol/relay-connection.ts';
import { queueCallerTexts } from './tools/text-caller.ts';
import { lastQueuedTurns, queueTurns } from './turns/turn-jobs.ts';
import { refuseUpgrade, upgradeCheck } from './upgrade/verify-upgrade.ts';

/** The configuration sections the voice service reads. */
export type VoiceServiceConfig = ConfigOf<'database' | 'redis' | 'http' | 'twilio' | 'openai' | 'voice' | 'voiceBot'> &
  OutboundCallsConfig;

export interface StartVoiceOptions {
  /** Default: a `voice` logger at `config.logLevel`. */
  logger?: Logger;
  /** Bounds of each connection. Default DEFAULT_CONNECTION_LIMITS. */
  limits?: Partial<ConnectionLimits>;
  /** Milliseconds the caller's context may take to load at `setup`. Default 1,500. */
  contextBudgetMs?: number;
}

export interface RunningVoice {
  /** Where the service listens, e.g. `http://127.0.0.1:3200`. */
  url: string;
  metrics: Registry;
  /** Stops accepting, closes every live session, then the queues, Redis and Postgres. */
  close(): Promise<void>;
}

/** Milliseconds each dependency may take to answer a readiness check. */
const READY_TIMEOUT_MS = 500;

function probe(check: () => Promise<unknown>): Promise<'ok' | 'down'> {
  const answer = check().then(
    () => 'ok' as const,
    () => 'down' as const,
  );
  return withTimeout(answer, READY_TIMEOUT_MS, () => 'down' as const);
}

/** `/healthz` (the process runs) and `/readyz` (Redis and Postgres answer); anything else 404. */
function healthHandler(db: Db, redis: RedisConnection) {
  return async (req: IncomingMessage, res: ServerResponse) => {
    const json = (status: number, body: object) =>
      res.writeHead(status, { 'Content-Type': 'application/json' }).end(JSON.stringify(body));
    if (req.method === 'GET' && req.url === '/healthz') return json(200, { status: 'ok' });
    if (req.method !== 'GET' || req.url !== '/readyz') return json(404, { error: 'not found' });
    const [redisState, postgres] = await Promise.all([
      probe(() => redis.ping()),
      probe(() => sql`select 1`.execute(db)),
    ]);
    json(redisState === 'ok' && postgres === 'ok' ? 200 : 503, { redis: redisState, postgres });
  };
}

/** The bot's instructions: `VOICE_BOT_INSTRUCTIONS`, else its file, else the default persona. */
async function instructionsOf(config: VoiceServiceConfig['voiceBot']): Promise<string> {
  if (config.instructions) return config.instructions;
  if (config.instructionsFile) return (await readFile(config.instructionsFile, 'utf8')).trim();
  return DEFAULT_INSTRUCTIONS;
}

/** Starts the voice service: ConversationRelay's WebSocket at `/voice/relay`, health, on `VOICE_PORT`. */
export async function startVoice(config: VoiceServiceConfig, options: StartVoiceOptions = {}): Promise<RunningVoice> {
  const logger = options.logger ?? createLogger('voice', config.logLevel);
  const limits = { ...DEFAULT_CONNECTION_LIMITS, ...options.limits };
  const db = createDb(config.database, 'series-killer-voice', logger);
  // Turns leave off the reply path, so their connection may wait out a short Redis outage.
  const redis = createRedisConnection(config.redis, 'worker');
  redis.on('error', (error: Error) => logger.warn({ err: error }, 'redis connection error'));
  const queues = createQueues(redis, config.redis, logger);
  // The OpenAI SDK is loaded with the first call, while its caller is greeted: an idle voice service never
  // holds it (about 5 MB). No retries inside the SDK: a failed reply is retried once by the conversation.
  let openaiClient: Promise<OpenAI> | undefined;
  const openai = () =>
    (openaiClient ??= import('@series-killer/shared/openai').then(({ createOpenAIClient }) =>
      createOpenAIClient(config.openai, { maxRetries: 0 }),
    ));
  const metrics = createVoiceMetrics();
  const settings: ConversationSettings = {
    model: config.voiceBot.model,
    instructions: await instructionsOf(config.voiceBot),
    transferEnabled: config.voice.transferNumber !== undefined,
    idleAfterMs: config.voiceBot.idleAfterMs,
    maxCallMs: config.voiceBot.maxCallMs,
    firstTokenTimeoutMs: config.voiceBot.firstTokenTimeoutMs,
    contextBudgetMs: options.contextBudgetMs ?? 1_500,
  };
  const deps = {
    db,
    openai,
    turns: queueTurns(queues, logger),
    lastTurn: lastQueuedTurns(queues, { budgetMs: settings.contextBudgetMs, logger }),
    texts: queueCallerTexts(queues),
    logger,
    metrics,
    settings,
  };

  const outboundCalls = await startOutboundCallWorkers(config, { db, queues, logger });

  const check = upgradeCheck({
    keys: { authToken: config.twilio.authToken, sharedKey: config.twilio.webhookSharedKey },
    publicUrl: config.voice.botPublicUrl,
    path: VOICE_RELAY_PATH,
  });
  const wss = new WebSocketServer({ noServer: true, maxPayload: limits.maxMessageBytes });
  const server = createServer(healthHandler(db, redis));
  server.on('upgrade', (req, socket, head) => {
    const refusal = check(req);
    if (refusal) {
      metrics.refusals.inc({ reason: refusal.status === 403 ? 'signature' : 'path' });
      return refuseUpgrade(socket, refusal);
    }
    openai().catch((error: unknown) => logger.error({ err: error }, 'the OpenAI SDK failed to load'));
    wss.handleUpgrade(req, socket, head, (ws) => {
      const conversation = new Conversation(relaySocket(ws), deps);
      serveRelayConnection(ws, conversation, { limits, logger, metrics });
    });
  });
  // HOST, as the ingress: loopback in sandbox mode unless told otherwise.
  server.listen(config.voiceBot.port, config.http.host);
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  const url = `http://127.0.0.1:${port}`;
  logger.info({ url, publicUrl: config.voice.botPublicUrl }, 'voice service listening');

  async function close(): Promise<void> {
    const stopped = new Promise<void>((resolve) => server.close(() => resolve()));
    // Twilio reconnects a dropped session (applicationReconnect), possibly to another replica.
    for (const ws of wss.clients) ws.close(1001, 'service stopping');
    wss.close();
    server.closeAllConnections();
    await stopped;
    await outboundCalls.close();
    await closeQueues(queues);
    await redis.quit();
    await db.destroy();
    logger.info('voice service stopped');
  }

  return { url, metrics: metrics.registry, close };
}
