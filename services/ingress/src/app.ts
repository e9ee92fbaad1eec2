import type { Db, Logger, Queues, RedisConnection } from '@series-killer/shared';
import express, { type Express } from 'express';
import { outboundCallRoutes } from './calls/outbound-calls.routes.ts';
import { DASHBOARD_PATH, dashboardRoutes } from './dashboard/dashboard.ts';
import { createJobBatcher } from './enqueue/job-batcher.ts';
import { healthRoutes } from './health/health.routes.ts';
import { errorHandler, notFound } from './http/error-handler.ts';
import { requireBearerToken } from './internal-api/require-bearer-token.ts';
import type { IngressMetrics } from './metrics/ingress-metrics.ts';
import { smsWebhookRoutes } from './sms/sms-webhooks.ts';
import type { IngressConfig } from './start-ingress.ts';
import { twilioWebhookGate } from './twilio/twilio-webhook.ts';
import type { AuthUsers } from './users/auth-users.ts';
import { userRoutes } from './users/users.routes.ts';
import { outboundCallWebhookRoutes } from './voice/outbound-call-webhooks.ts';
import { voiceWebhookRoutes } from './voice/voice-webhooks.ts';

export interface AppDeps {
  config: IngressConfig;
  db: Db;
  /** Queues on a producer connection (fails fast while Redis is down). */
  queues: Queues;
  /** The queues' producer connection, pinged by `/readyz`. */
  redis: RedisConnection;
  authUsers: AuthUsers;
  /** The ingress's Prometheus metrics: fed by the app, served on `/metrics` and on `METRICS_PORT`. */
  metrics: IngressMetrics;
  logger: Logger;
  /** Milliseconds Redis has to acknowledge a job before the request answers 503. Default 500: a 503 must reach Twilio within a second even when the machine is busy. */
  enqueueTimeoutMs?: number;
  /** Milliseconds the caller lookup of an incoming call may take. Default 300. */
  callerLookupTimeoutMs?: number;
}

/** Every route, for the request metrics' `route` label. */
const ROUTES = [
  '/twilio/sms',
  '/twilio/sms/status',
  '/twilio/voice',
  '/twilio/voice/recorded',
  '/twilio/voice/relay-ended',
  '/twilio/voice/status',
  '/twilio/voice/transcription',
  '/twilio/voice/outbound',
  '/twilio/voice/outbound/status',
  '/hooks/user-profiles',
  '/api/users',
  '/api/calls',
  '/healthz',
  '/readyz',
  '/metrics',
  DASHBOARD_PATH,
] as const;

/** The ingress: Twilio webhooks to jobs, internal API, dashboard, health and metrics. */
export function createApp(deps: AppDeps): Express {
  const { config, logger, metrics } = deps;
  const batcher = createJobBatcher(deps.queues, {
    timeoutMs: deps.enqueueTimeoutMs,
    onSettled: metrics.observeEnqueue,
  });

  const app = express();
  app.disable('x-powered-by');
  app.use(metrics.observeRequests(ROUTES));

  app.use(
    '/twilio',
    twilioWebhookGate({
      authToken: config.twilio.authToken,
      publicBaseUrl: config.http.publicBaseUrl,
      callbackOverrides: config.twilio.callbackOverrides,
      sharedKey: config.twilio.webhookSharedKey,
    }),
  );
  app.use(smsWebhookRoutes(batcher));
  app.use(
    voiceWebhookRoutes({
      db: deps.db,
      batcher,
      logger,
      publicBaseUrl: config.http.publicBaseUrl,
      callbackOverrides: config.twilio.callbackOverrides,
      voiceBotWsUrl: config.voice.botWsUrl,
      relayUrl: config.voice.bot ? config.voice.botPublicUrl : undefined,
      transferNumber: config.voice.transferNumber,
      callerLookupTimeoutMs: deps.callerLookupTimeoutMs,
    }),
  );
  app.use(
    outboundCallWebhookRoutes({
      db: deps.db,
      batcher,
      logger,
      publicBaseUrl: config.http.publicBaseUrl,
      callbackOverrides: config.twilio.callbackOverrides,
      relayUrl: config.voice.botWsUrl ?? (config.voice.bot ? config.voice.botPublicUrl : undefined),
    }),
  );
  app.use(
    userRoutes({
      db: deps.db,
      authUsers: deps.authUsers,
      batcher,
      queues: deps.queues,
      logger,
      internalApiToken: config.internalApi.token,
    }),
  );
  app.use(
    outboundCallRoutes({
      db: deps.db,
      batcher,
      queues: deps.queues,
      hours: config.outboundCalls.hours,
      defaultTimeZone: config.outboundCalls.defaultTimeZone,
      internalApiToken: config.internalApi.token,
    }),
  );
  app.use(healthRoutes({ db: deps.db, redis: deps.redis }));
  // The public port is the one Twilio reaches: queue depths and traffic figures are not for everyone.
  app.get('/metrics', requireBearerToken(config.metrics.token), async (_req, res) => {
    res.type(metrics.registry.contentType).send(await metrics.registry.metrics());
  });
  app.use(dashboardRoutes(deps.queues, config));

  app.use(notFound);
  app.use(errorHandler(logger));
  return app;
}
