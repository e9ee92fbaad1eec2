import { runService } from '@series-killer/shared';
import { startIngress } from './start-ingress.ts';

// Its metrics are on METRICS_PORT like a worker's; on PORT only with METRICS_TOKEN.
await runService('ingress', (config, logger) => startIngress(config, { logger }), { metrics: true });
