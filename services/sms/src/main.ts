import { runService, SERVICE_CONFIG_SECTIONS } from '@series-killer/shared';
import { startSmsWorkers } from './index.ts';

await runService('sms', SERVICE_CONFIG_SECTIONS.sms, (config, logger) => startSmsWorkers(config, { logger }));
