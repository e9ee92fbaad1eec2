import { describe, expect, it } from '@jest/globals';
import { Counter, Registry } from 'prom-client';
import { loadConfigSections } from '../config/load-config.ts';
import { freePort } from '../testing/free-port.ts';
import { serveMetrics } from './serve-metrics.ts';

/** Whether anything answers /metrics at this address; another loopback address stands for another interface. */
async function answers(host: string, port: number): Promise<boolean> {
  const response = await fetch(`http://${host}:${port}/metrics`).catch(() => undefined);
  return response?.ok ?? false;
}

describe('serveMetrics', () => {
  it("serves the service's counters and process metrics on /metrics, and nothing else", async () => {
    const registry = new Registry();
    new Counter({ name: 'things_done_total', help: 'Things done.', registers: [registry] }).inc(3);
    const port = await freePort();
    const server = await serveMetrics({ port, host: '127.0.0.1' }, registry);
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

  it('listens on loopback only unless METRICS_HOST says otherwise', async () => {
    const port = await freePort();
    const hostOf = (env: Record<string, string>) => loadConfigSections(['metrics'], env).metrics.host;
    const loopback = await serveMetrics({ port, host: hostOf({}) });
    try {
      expect(await answers('127.0.0.1', port)).toBe(true);
      expect(await answers('127.0.0.2', port)).toBe(false);
    } finally {
      await loopback.close();
    }

    const everywhere = await serveMetrics({ port, host: hostOf({ METRICS_HOST: '0.0.0.0' }) });
    try {
      expect(await answers('127.0.0.2', port)).toBe(true);
    } finally {
      await everywhere.close();
    }
  });
});
