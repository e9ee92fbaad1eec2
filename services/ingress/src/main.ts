import { runService, SERVICE_CONFIG_SECTIONS } from '@series-killer/shared';
import { startIngress } from './start-ingress.ts';

await runService('ingress', SERVICE_CONFIG_SECTIONS.ingress, (config, logger) => startIngress(config, { logger }));
