import {
  type ConfigOf,
  createLogger,
  createWorker,
  type Logger,
  openWorkerProcess,
  twilioCallbackUrl,
} from '@series-killer/shared';
import { createTwilioClient } from '@series-killer/shared/twilio';
import type { Registry } from 'prom-client';
import { smsInboundHandlers } from './inbound/sms-inbound.worker.ts';
import { createSmsMetrics } from './metrics/sms-metrics.ts';
import { smsOutboundHandlers } from './outbound/sms-outbound.worker.ts';
import { createTwilioSmsSender, TWILIO_SMS_REQUEST_TIMEOUT_MS } from './outbound/sms-sender.ts';
import { scheduleReconciler } from './reconcile/reconcile-deliveries.ts';
import { createTwilioMessageStatusSource } from './reconcile/twilio-message-status.ts';
import { createTwilioMessageRedactor } from './redaction/message-redactor.ts';
import { schedulePruning } from './retention/prune-event-logs.ts';
import { smsStatusHandlers } from './status/sms-status.worker.ts';

/** The configuration sections the SMS workers read. */
export type SmsWorkersConfig = ConfigOf<'database' | 'redis' | 'http' | 'twilio' | 'sms' | 'workers' | 'retention'>;

export interface StartSmsWorkersOptions {
  /** Logger of the workers; default a pino logger named "sms" at the configured level. */
  logger?: Logger;
  /** Prometheus registry the SMS counters are registered on; default a new registry. */
  registry?: Registry;
}

export interface SmsWorkers {
  /** The registry holding the SMS counters, for the process to expose. */
  metrics: Registry;
  /** Stops taking jobs, waits for the active ones, then closes every connection. */
  close(): Promise<void>;
}

/**
 * The limiter of the outbound queue: one send per 1/`maxPerSecond` seconds, held in Redis so
 * it applies across every replica. The queue has one sender (the configured number or
 * messaging service), so this is the per-sender rate.
 */
export function outboundLimiter(maxPerSecond: number): { max: number; duration: number } {
  return { max: 1, duration: Math.ceil(1_000 / maxPerSecond) };
}

/** Starts the outbound, inbound and status workers of the SMS service. */
export async function startSmsWorkers(
  config: SmsWorkersConfig,
  options: StartSmsWorkersOptions = {},
): Promise<SmsWorkers> {
  const logger = options.logger ?? createLogger('sms', config.logLevel);
  const metrics = createSmsMetrics(options.registry);
  const workerProcess = openWorkerProcess(config, 'sms', logger);
  const { db, queues } = workerProcess;
  const twilioClient = createTwilioClient(config.twilio, { timeoutMs: TWILIO_SMS_REQUEST_TIMEOUT_MS });
  const sender = createTwilioSmsSender(twilioClient, {
    fromNumber: config.twilio.fromNumber,
    messagingServiceSid: config.twilio.messagingServiceSid,
    statusCallbackUrl: twilioCallbackUrl(
      config.http.publicBaseUrl,
      '/twilio/sms/status',
      config.twilio.callbackOverrides,
    ),
  });
  const reconcileAfterMs = config.sms.reconcileAfterMs;
  const common = workerProcess.workerOptions;

  await workerProcess.run([
    createWorker(
      'sms-outbound',
      smsOutboundHandlers({
        db,
        sender,
        redactor: createTwilioMessageRedactor(twilioClient),
        metrics,
        logger,
        reconcileAfterMs,
        rateLimit: (ms) => queues['sms-outbound'].rateLimit(ms),
      }),
      { ...common, limiter: outboundLimiter(config.sms.maxPerSecond) },
    ),
    createWorker('sms-inbound', smsInboundHandlers({ db, queues }), common),
    createWorker(
      'sms-status',
      smsStatusHandlers({
        db,
        queues,
        metrics,
        logger,
        source: createTwilioMessageStatusSource(twilioClient),
        reconcileAfterMs,
        eventRetentionMs: config.retention.eventsMs,
        orphanedEventRetentionMs: config.retention.orphanedEventsMs,
      }),
      common,
    ),
  ]);
  await scheduleReconciler(queues, config.sms.reconcileIntervalMs);
  await schedulePruning(queues);
  logger.info({ maxPerSecond: config.sms.maxPerSecond }, 'sms workers started');

  return {
    metrics: metrics.registry,
    async close() {
      await workerProcess.close();
      logger.info('sms workers stopped');
    },
  };
}
