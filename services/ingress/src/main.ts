import { runService } from '@series-killer/shared';
import { startIngress } from './start-ingress.ts';

await runService('ingress', (config, logger) => startIngress(config, { logger }));
