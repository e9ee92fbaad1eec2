import { runService, SERVICE_CONFIG_SECTIONS } from '@series-killer/shared';
import { startSummarizerWorkers } from './start-summarizer-workers.ts';

await runService('summarizer', SERVICE_CONFIG_SECTIONS.summarizer, (config, logger) =>
  startSummarizerWorkers(config, { logger }),
);
