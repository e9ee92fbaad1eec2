import { runService } from '@series-killer/shared';
import { startSmsWorkers } from './index.ts';

await runService('sms', (config, logger) => startSmsWorkers(config, { logger }), { metrics: true });
