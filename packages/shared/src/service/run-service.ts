import type { Registry } from 'prom-client';
import { type ConfigOf, type ConfigSectionName, loadConfigOrExit } from '../config/load-config.ts';
import { createLogger, type Logger } from '../logging/logger.ts';
import { serveMetrics } from './serve-metrics.ts';

export interface RunningService {
  close(): Promise<void>;
  /** The service's own Prometheus counters, served on `METRICS_PORT` when it is set. */
  metrics?: Registry;
}

/**
 * The shared shape of every service's `main.ts`: read the sections of the configuration the
 * service names, once (exit 1 with one line per bad or missing setting), start, serve its
 * metrics on `METRICS_PORT` when it reads the `metrics` section, and on SIGTERM/SIGINT close
 * gracefully and exit 0.
 */
export async function runService<S extends ConfigSectionName>(
  name: string,
  sections: readonly S[],
  start: (config: ConfigOf<S>, logger: Logger) => Promise<RunningService>,
): Promise<void> {
  const config = loadConfigOrExit(sections);
  const logger = createLogger(name, config.logLevel);
  for (const warning of config.warnings) logger.warn(warning);
  const service = await start(config, logger);
  const port = 'metrics' in config ? (config as ConfigOf<'metrics'>).metrics.port : undefined;
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
