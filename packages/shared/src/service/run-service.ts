import type { Registry } from 'prom-client';
import { type ConfigOf, type ConfigSectionName, loadConfigOrExit } from '../config/load-config.ts';
import { createLogger, type Logger } from '../logging/logger.ts';
import { serveMetrics } from './serve-metrics.ts';

/**
 * How long a service may take to stop once asked, in milliseconds: past it the process exits
 * anyway (a connection that will not drain, a log write that cannot complete).
 */
const SHUTDOWN_DEADLINE_MS = 9_000;

export interface RunningService {
  close(): Promise<void>;
  /** The service's own Prometheus counters, served on `METRICS_PORT` when it is set. */
  metrics?: Registry;
}

/**
 * The shared shape of every service's `main.ts`: read the sections of the configuration the
 * service names, once (exit 1 with one line per bad or missing setting), start, serve its
 * metrics on `METRICS_HOST`:`METRICS_PORT` when it reads the `metrics` section, and on SIGTERM/SIGINT close
 * gracefully and exit 0, within SHUTDOWN_DEADLINE_MS. A process started with an IPC channel (by
 * `npm start`'s supervisor) also stops when the channel closes: its supervisor is gone, however
 * it died.
 */
export async function runService<S extends ConfigSectionName>(
  name: string,
  sections: readonly S[],
  start: (config: ConfigOf<S>, logger: Logger) => Promise<RunningService>,
): Promise<void> {
  const config = loadConfigOrExit(sections);
  const logger = createLogger(name, config.logLevel);
  // Under a supervisor (an IPC channel) the configuration's warnings were printed once, by it, for every process.
  const supervised = process.send !== undefined;
  for (const warning of config.warnings) logger[supervised ? 'debug' : 'warn'](warning);
  const service = await start(config, logger);
  const metrics = 'metrics' in config ? (config as ConfigOf<'metrics'>).metrics : undefined;
  const metricsServer =
    metrics?.port === undefined
      ? undefined
      : await serveMetrics({ port: metrics.port, host: metrics.host }, service.metrics);
  logger.info({ metricsPort: metrics?.port }, 'started');
  // Its supervisor (npm start) waits for every process's word before it prints that the stack is ready.
  process.send?.({ type: 'started' });

  let stopping = false;
  const shutdown = async (reason: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ reason }, 'shutting down');
    setTimeout(() => {
      logger.error({ deadlineMs: SHUTDOWN_DEADLINE_MS }, 'shutdown took too long; exiting');
      process.exit(1);
    }, SHUTDOWN_DEADLINE_MS).unref();
    try {
      await metricsServer?.close();
      await service.close();
    } catch (error) {
      logger.error({ err: error }, 'shutdown failed');
      process.exit(1);
    }
    process.exit(0);
  };
  process.on('SIGTERM', (signal) => void shutdown(signal));
  process.on('SIGINT', (signal) => void shutdown(signal));
  if (process.send) {
    process.on('disconnect', () => void shutdown('supervisor gone'));
    // The supervisor may have gone while the service was starting, before anyone listened.
    if (!process.connected) void shutdown('supervisor gone');
  }
  // Output nobody reads any more (a closed pipe) must not stop the process from stopping.
  process.stdout.on('error', ignoreBrokenPipe);
  process.stderr.on('error', ignoreBrokenPipe);
}

function ignoreBrokenPipe(error: NodeJS.ErrnoException): void {
  if (error.code !== 'EPIPE') throw error;
}
