import { once } from 'node:events';
import { createServer } from 'node:http';
import { collectDefaultMetrics, Registry } from 'prom-client';

export interface MetricsServer {
  close(): Promise<void>;
}

/**
 * A worker process's Prometheus endpoint: `GET /metrics` with the service's own counters
 * (when it has any) plus Node's process metrics. Anything else is 404.
 */
export async function serveMetrics(port: number, registry: Registry = new Registry()): Promise<MetricsServer> {
  collectDefaultMetrics({ register: registry });
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
  server.listen(port);
  await once(server, 'listening');
  return {
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
