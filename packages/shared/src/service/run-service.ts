import { type Config, loadConfig } from '../config/load-config.ts';
import { ConfigError } from '../errors/errors.ts';
import { createLogger, type Logger } from '../logging/logger.ts';

export interface RunningService {
  close(): Promise<void>;
}

/**
 * The shared shape of every service's `main.ts`: read config once (exit 1 with one line per
 * bad setting), start, and on SIGTERM/SIGINT close gracefully and exit 0.
 */
export async function runService(
  name: string,
  start: (config: Config, logger: Logger) => Promise<RunningService>,
): Promise<void> {
  let config: Config;
  try {
    config = loadConfig();
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    process.stderr.write(`${error.message}\n`);
    process.exit(1);
  }
  const logger = createLogger(name, config.logLevel);
  for (const warning of config.warnings) logger.warn(warning);
  const service = await start(config, logger);
  logger.info('started');

  let stopping = false;
  const shutdown = async (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down');
    try {
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
