import { runService } from '@series-killer/shared';
import { startSummarizerWorkers } from './summarizer-workers.ts';

await runService('summarizer', (config, logger) => startSummarizerWorkers(config, { logger }), { metrics: true });
