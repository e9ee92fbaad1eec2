import type { Registry } from 'prom-client';
import { type Config, loadConfigOrExit } from '../config/load-config.ts';
import { createLogger, type Logger } from '../logging/logger.ts';
import { serveMetrics } from './serve-metrics.ts';

export interface RunningService {
  close(): Promise<void>;
  /** The service's own Prometheus counters, served on `METRICS_PORT` when it is set. */
  metrics?: Registry;
}

/**
 * The shared shape of every service's `main.ts`: read config once (exit 1 with one line per
 * bad setting), start, serve a worker's metrics, and on SIGTERM/SIGINT close gracefully and
 * exit 0.
 */
export async function runService(
  name: string,
  start: (config: Config, logger: Logger) => Promise<RunningService>,
  options: {
    /** Serve Prometheus metrics on `METRICS_PORT` (worker processes). Default false. */ metrics?: boolean;
  } = {},
): Promise<void> {
  const config = loadConfigOrExit();
  const logger = createLogger(name, config.logLevel);
  for (const warning of config.warnings) logger.warn(warning);
  const service = await start(config, logger);
  const port = options.metrics ? config.workers.metricsPort : undefined;
  const metricsServer = port === undefined ? undefined : await serveMetrics(port, service.metrics);
  logger.info({ metricsPort: port }, 'started');

  let stopping = false;
  const shutdown = async (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down');
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
}
