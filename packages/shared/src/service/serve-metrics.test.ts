import { describe, expect, it } from '@jest/globals';
import { Counter, Registry } from 'prom-client';
import { freePort } from '../testing/free-port.ts';
import { serveMetrics } from './serve-metrics.ts';

describe('serveMetrics', () => {
  it("serves the service's counters and process metrics on /metrics, and nothing else", async () => {
    const registry = new Registry();
    new Counter({ name: 'things_done_total', help: 'Things done.', registers: [registry] }).inc(3);
    const port = await freePort();
    const server = await serveMetrics(port, registry);
    try {
      const response = await fetch(`http://127.0.0.1:${port}/metrics`);
      expect(response.status).toBe(200);
      const body = await response.text();
      expect(body).toContain('things_done_total 3');
      expect(body).toContain('process_resident_memory_bytes');
      expect((await fetch(`http://127.0.0.1:${port}/`)).status).toBe(404);
    } finally {
      await server.close();
    }
  });
});
