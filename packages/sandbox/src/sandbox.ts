import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createDb, createLogger, type Db, type Logger, SANDBOX_DEFAULTS } from '@series-killer/shared';
import express, { type ErrorRequestHandler } from 'express';
import { controlRouter } from './control/control.router.ts';
import { clientErrorStatus } from './http/client-error.ts';
import { BoundedLog } from './log/bounded-log.ts';
import { chatCompletionsRouter } from './openai/chat-completions.router.ts';
import { type OpenAIMode, OpenAIModeState } from './openai/openai-mode.ts';
import { StreamStats, type StreamStatsSnapshot } from './openai/stream-stats.ts';
import { adminUsersRouter, authWithoutDatabaseRouter } from './supabase-auth/admin-users.router.ts';
import { FailureSwitch } from './switches/failure-switch.ts';
import { type CallMode, CallModes } from './twilio/calls/call-mode.ts';
import { CallStore, type SandboxCall } from './twilio/calls/call-store.ts';
import { callWebhookParams } from './twilio/calls/call-webhook-params.ts';
import { OutboundCalls } from './twilio/calls/play-outbound-call.ts';
import {
  conversationRelayCall,
  playAnsweredCallRelay,
  type RelayCallInput,
  type RelayCallResult,
} from './twilio/drivers/conversation-relay-call.ts';
import { type InboundSmsInput, type InboundSmsResult, sendInboundSms } from './twilio/drivers/inbound-sms.ts';
import { type SimulatedCallInput, type SimulatedCallResult, simulateCall } from './twilio/drivers/simulate-call.ts';
import { MessageStore, type SandboxMessage } from './twilio/messages/message-store.ts';
import { type CallbackMode, CallbackModes } from './twilio/status-callbacks/callback-mode.ts';
import { type TwilioFault, type TwilioMode, type TwilioRequestRecord, twilioApi } from './twilio/twilio-api.ts';
import { type WebhookDelivery, WebhookSender, type WebhookSigningMode } from './twilio/webhooks/webhook-sender.ts';

export interface SandboxOptions {
  /** TCP port on 127.0.0.1; 0 picks a free one. Default 0. */
  port?: number;
  /** Interface to listen on. Default '127.0.0.1'. */
  host?: string;
  /** The only Twilio account SID the REST API accepts (basic auth user). */
  accountSid: string;
  /** The account's auth token: the basic auth password, and the key every webhook is signed with. */
  authToken: string;
  /** PUBLIC_BASE_URL of the ingress, where the drivers post inbound SMS and call webhooks. Default: none (drivers throw). */
  ingressBaseUrl?: string;
  /** Postgres whose `auth.users` the Supabase Auth emulation writes. Default: none (Auth answers 503). */
  databaseUrl?: string;
  /** Bearer token the Supabase Auth admin API accepts. Default SANDBOX_DEFAULTS.supabaseServiceRoleKey. */
  supabaseServiceRoleKey?: string;
  /** Sender a Messaging Service uses for messages created without From. Default SANDBOX_DEFAULTS.twilioFromNumber. */
  messagingServiceSender?: string;
  /** Entries kept in each in-memory log (messages, requests, webhooks). Default 100000. */
  logCapacity?: number;
  /** Redeliveries of a webhook after a network error, a timeout or a 5xx answer. Default 3. */
  webhookRetries?: number;
  /** Delay before the first redelivery in ms, doubling after each. Default 250. */
  webhookRetryBaseMs?: number;
  /** Time an application has to answer a webhook, in ms (Twilio's limit). Default 15000. */
  webhookTimeoutMs?: number;
  /** Default: a silent logger. */
  logger?: Logger;
}

/** The addresses the sandbox serves. */
export interface SandboxUrls {
  /** TWILIO_API_BASE_URL. */
  twilio: string;
  /** OPENAI_BASE_URL. */
  openai: string;
  /** SUPABASE_URL. */
  supabase: string;
  control: string;
  ingress: string | null;
}

/** What tests and the control API can read and switch. */
export interface SandboxControl {
  urls(): SandboxUrls;
  /** Every message created through the Messages API, oldest first (a snapshot). */
  messages(): SandboxMessage[];
  /** Every call placed through the Calls API, oldest first (a snapshot). */
  calls(): SandboxCall[];
  /** How calls placed from now on are answered; replaces the previous mode, `{}` restores defaults. */
  setCallMode(mode: CallMode): void;
  /** A rule for calls to one `To` number, overriding the global call mode field by field; undefined removes it. */
  setCallModeFor(to: string, mode: CallMode | undefined): void;
  /** Every request to the Twilio REST API, oldest first, rejected ones included. */
  twilioRequests(): TwilioRequestRecord[];
  /** Makes the Twilio REST API fail or hold requests; replaces the previous mode, `{}` restores normal service. */
  setTwilioMode(mode: TwilioMode): void;
  /** Every webhook attempt the sandbox made (status callbacks and drivers), oldest first. */
  webhooks(): WebhookDelivery[];
  /** The status-callback mode of messages created from now on; replaces the previous one, `{}` restores defaults. */
  setCallbackMode(mode: CallbackMode): void;
  /** A rule for messages to one `To` number, overriding the global mode field by field; undefined removes it. */
  setCallbackModeFor(to: string, mode: CallbackMode | undefined): void;
  /** Every chat completion request body received, oldest first, failed ones included. */
  openaiRequests(): Record<string, unknown>[];
  /** Replaces the OpenAI mode; `{}` restores normal service. */
  setOpenAIMode(mode: OpenAIMode): void;
  /** What the chat completion streams did: running, completed, aborted by their client. */
  openaiStreams(): StreamStatsSnapshot;
  /** Sends an inbound SMS, signed, to `${ingressBaseUrl}/twilio/sms`; resolves with the ingress's answer. */
  sendInboundSms(input: InboundSmsInput): Promise<InboundSmsResult>;
  /** How webhooks sent from now on are signed (a Webhook Rule's shared key, or `{}`: the auth token). */
  setWebhookSigningMode(mode: WebhookSigningMode): void;
  /** Plays a whole incoming call against the ingress; resolves once every webhook has been answered. */
  simulateCall(input: SimulatedCallInput): Promise<SimulatedCallResult>;
  /** Plays a call answered with `<Connect><ConversationRelay>`: the caller's lines over the bot's WebSocket. */
  conversationRelayCall(input: RelayCallInput): Promise<RelayCallResult>;
  /** Clears every log, rule and switch. */
  reset(): void;
}

export interface Sandbox extends SandboxControl {
  /** http://127.0.0.1:PORT: the Twilio API base URL; OpenAI is at `${url}/v1`, Supabase at `${url}`. */
  url: string;
  /** Stops pending callbacks and retries, closes the server and the database pool. */
  close(): Promise<void>;
}

function listen(app: express.Express, port: number, host: string): Promise<Server> {
  return new Promise((resolve, reject) => {
    const server = app.listen(port, host, (error?: Error) => (error ? reject(error) : resolve(server)));
  });
}

function errorHandler(logger: Logger): ErrorRequestHandler {
  return (error: unknown, _req, res, _next) => {
    const status = clientErrorStatus(error);
    if (status !== undefined) {
      res.status(status).json({ error: 'the request body could not be read' });
      return;
    }
    logger.error({ err: error }, 'sandbox request failed');
    res.status(500).json({ error: 'internal error' });
  };
}

/** Starts the sandbox: Twilio's, OpenAI's and Supabase Auth's APIs on one local port, plus its control API. */
export async function startSandbox(options: SandboxOptions): Promise<Sandbox> {
  const logger = options.logger ?? createLogger('sandbox', 'silent');
  const capacity = options.logCapacity ?? 100_000;
  const store = new MessageStore(capacity);
  const calls = new CallStore(capacity);
  const callModes = new CallModes();
  const twilioRequests = new BoundedLog<TwilioRequestRecord>(capacity);
  const webhookLog = new BoundedLog<WebhookDelivery>(capacity);
  const openaiRequests = new BoundedLog<Record<string, unknown>>(capacity);
  const callbackModes = new CallbackModes();
  const openaiMode = new OpenAIModeState();
  const openaiStreams = new StreamStats(capacity);
  const twilioFaults = new FailureSwitch<TwilioFault>();
  let trialAccount = false;
  const sender = new WebhookSender({
    authToken: options.authToken,
    retries: options.webhookRetries ?? 3,
    retryBaseMs: options.webhookRetryBaseMs ?? 250,
    timeoutMs: options.webhookTimeoutMs ?? 15_000,
    log: webhookLog,
    logger,
  });
  const db: Db | undefined = options.databaseUrl
    ? createDb({ url: options.databaseUrl, poolSize: 2 }, 'series-killer-sandbox')
    : undefined;
  const driverDeps = { accountSid: options.accountSid, sender, ingressBaseUrl: options.ingressBaseUrl };
  const outboundCalls = new OutboundCalls({
    calls,
    modes: callModes,
    sender,
    logger,
    playTwiml: async (call, twiml, hangUp) => {
      const played = await playAnsweredCallRelay(driverDeps, {
        base: callWebhookParams(call.accountSid, call.sid, call, 'outbound-api'),
        twiml,
        documentUrl: call.url ?? '',
        lines: callModes.resolve(call.to).lines,
        hangUp,
      });
      if (!played) return false;
      call.relaySession = {
        sessionId: played.sessionId,
        dialogue: played.dialogue,
        endedBy: played.endedBy,
        error: played.error,
      };
      return true;
    },
  });

  let url = '';
  const control: SandboxControl = {
    urls: () => ({
      twilio: url,
      openai: `${url}/v1`,
      supabase: url,
      control: `${url}/sandbox`,
      ingress: options.ingressBaseUrl ?? null,
    }),
    messages: () => store.all().map((message) => ({ ...message })),
    calls: () => calls.all().map((call) => ({ ...call })),
    setCallMode: (mode) => callModes.setGlobal(mode),
    setCallModeFor: (to, mode) => callModes.setFor(to, mode),
    twilioRequests: () => twilioRequests.toArray(),
    setTwilioMode: (mode) => {
      const { failWith, latencyMs } = mode;
      twilioFaults.set(failWith === undefined && !latencyMs ? undefined : { failWith, latencyMs }, mode.times);
      trialAccount = mode.trialAccount === true;
    },
    webhooks: () => webhookLog.toArray(),
    setCallbackMode: (mode) => callbackModes.setGlobal(mode),
    setCallbackModeFor: (to, mode) => callbackModes.setFor(to, mode),
    openaiRequests: () => openaiRequests.toArray(),
    setOpenAIMode: (mode) => openaiMode.set(mode),
    openaiStreams: () => openaiStreams.snapshot(),
    setWebhookSigningMode: (mode) => sender.setSigningMode(mode),
    sendInboundSms: (input) => sendInboundSms(driverDeps, input),
    simulateCall: (input) => simulateCall(driverDeps, input),
    conversationRelayCall: (input) => conversationRelayCall(driverDeps, input),
    reset: () => {
      store.clear();
      calls.clear();
      callModes.reset();
      twilioRequests.clear();
      webhookLog.clear();
      openaiRequests.clear();
      callbackModes.reset();
      openaiMode.set({});
      openaiStreams.reset();
      twilioFaults.set(undefined);
      trialAccount = false;
      sender.setSigningMode({});
    },
  };

  const app = express();
  app.disable('x-powered-by');
  app.use(
    '/2010-04-01/Accounts/:accountSid',
    twilioApi({
      accountSid: options.accountSid,
      authToken: options.authToken,
      requests: twilioRequests,
      takeFault: () => twilioFaults.take(),
      signal: sender.signal,
      isTrialAccount: () => trialAccount,
      store,
      calls,
      outboundCalls,
      modes: callbackModes,
      sender,
      serviceSender: options.messagingServiceSender ?? SANDBOX_DEFAULTS.twilioFromNumber,
      logger,
    }),
  );
  app.use(
    '/v1',
    chatCompletionsRouter({
      mode: openaiMode,
      requests: openaiRequests,
      streams: openaiStreams,
      signal: sender.signal,
    }),
  );
  app.use(
    '/auth/v1',
    db
      ? adminUsersRouter({
          db,
          serviceRoleKey: options.supabaseServiceRoleKey ?? SANDBOX_DEFAULTS.supabaseServiceRoleKey,
          logger,
        })
      : authWithoutDatabaseRouter(),
  );
  app.use('/sandbox', controlRouter(control));
  app.use((req, res) => {
    res.status(404).json({ error: `${req.method} ${req.path} is not served by the sandbox` });
  });
  app.use(errorHandler(logger));

  const server = await listen(app, options.port ?? 0, options.host ?? '127.0.0.1');
  const address = server.address() as AddressInfo;
  url = `http://${address.address}:${address.port}`;
  logger.info({ url }, 'sandbox listening');

  return {
    ...control,
    url,
    async close() {
      await sender.close();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      await db?.destroy();
    },
  };
}
