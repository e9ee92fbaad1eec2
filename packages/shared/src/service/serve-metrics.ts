import { once } from 'node:events';
import { createServer } from 'node:http';
import { collectDefaultMetrics, Registry } from 'prom-client';

export interface MetricsServer {
  close(): Promise<void>;
}

/** Where a metrics endpoint listens. */
export interface MetricsAddress {
  port: number;
  /** The interface: `METRICS_HOST`, loopback unless the operator opens it (the endpoint has no auth). */
  host: string;
}

/**
 * A process's Prometheus endpoint on a port of its own: `GET /metrics` with the service's own counters
 * (when it has any) plus Node's process metrics. Anything else is 404.
 */
export async function serveMetrics(
  { port, host }: MetricsAddress,
  registry: Registry = new Registry(),
): Promise<MetricsServer> {
  // A service may have registered the process metrics itself (the ingress serves them on its own port too).
  if (!registry.getSingleMetric('process_cpu_seconds_total')) collectDefaultMetrics({ register: registry });
  const server = createServer((req, res) => {
    if (req.method !== 'GET' || req.url !== '/metrics') {
      res.writeHead(404).end();
      return;
    }
    registry.metrics().then(
      (body) => res.writeHead(200, { 'Content-Type': registry.contentType }).end(body),
      () => res.writeHead(500).end(),
    );
  });
  server.listen(port, host);
  await once(server, 'listening');
  return {
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
