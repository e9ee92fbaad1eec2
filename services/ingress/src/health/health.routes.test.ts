import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { serveMetrics } from '@series-killer/shared';
import { fakeSid, freePort } from '@series-killer/shared/testing';
import { sql } from 'kysely';
import { type IngressHarness, startIngressHarness } from '../testing/ingress-harness.ts';

const METRICS_TOKEN = 'metrics-token-0123456789';

function scrape(h: IngressHarness, token: string | null = METRICS_TOKEN): Promise<Response> {
  return fetch(`${h.ingress.url}/metrics`, { headers: token ? { Authorization: `Bearer ${token}` } : {} });
}

describe('health, readiness and metrics', () => {
  let h: IngressHarness;
  beforeAll(async () => {
    h = await startIngressHarness({ METRICS_TOKEN });
  });
  afterAll(async () => {
    await h.close();
  });

  it('is alive and ready while Redis and Postgres answer', async () => {
    expect((await fetch(`${h.ingress.url}/healthz`)).status).toBe(200);
    const ready = await fetch(`${h.ingress.url}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual({ redis: 'ok', postgres: 'ok' });
  });

  it('listens on loopback only in sandbox mode, unless HOST says otherwise', async () => {
    const { port } = new URL(h.ingress.url);
    const elsewhere = await fetch(`http://127.0.0.2:${port}/healthz`).then(
      (response) => response.status,
      () => 'refused',
    );
    expect(elsewhere).toBe('refused');
  });

  it('exports requests by route and outcome, enqueue latency and queue depths', async () => {
    const messageSid = fakeSid('SM');
    await h.postSigned('/twilio/sms/status', {
      MessageSid: messageSid,
      MessageStatus: 'delivered',
      AccountSid: `AC${'0'.repeat(32)}`,
    });
    await fetch(`${h.ingress.url}/twilio/sms/status`, { method: 'POST' });

    const response = await scrape(h);
    expect(response.status).toBe(200);
    const text = await response.text();
    expect(text).toContain('ingress_http_requests_total{route="/twilio/sms/status",method="POST",status="204"} 1');
    expect(text).toContain('ingress_http_requests_total{route="/twilio/sms/status",method="POST",status="403"} 1');
    expect(text).toMatch(/ingress_enqueue_duration_seconds_count\{queue="sms-status",outcome="stored"\} 1/);
    expect(text).toContain('ingress_queue_jobs{queue="sms-status",state="waiting"} 1');
    expect(text).toContain('process_cpu_user_seconds_total');
    expect(text).toContain('ingress_queue_jobs_stale 0');
  });

  it('answers /metrics on the public port only to its bearer token', async () => {
    for (const token of [null, 'wrong-token-0123456789']) {
      const response = await scrape(h, token);
      expect(response.status).toBe(401);
      expect(await response.text()).not.toContain('ingress_queue_jobs');
    }
  });

  it('serves the same metrics on a port of its own (METRICS_PORT)', async () => {
    const port = await freePort();
    const server = await serveMetrics({ port, host: '127.0.0.1' }, h.ingress.metrics);
    try {
      const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
      expect(text).toContain('ingress_http_requests_total');
      expect(text).toContain('process_cpu_user_seconds_total');
    } finally {
      await server.close();
    }
  });

  it('answers unknown routes with JSON 404', async () => {
    const response = await fetch(`${h.ingress.url}/nope`);
    expect(response.status).toBe(404);
    expect(await response.json()).toEqual({ error: 'no route for GET /nope' });
  });
});

describe('/readyz under a burst', () => {
  let h: IngressHarness;

  beforeAll(async () => {
    h = await startIngressHarness();
  });
  afterAll(async () => {
    await h.close();
  });

  it('answers concurrent callers from one probe, spending one pool connection', async () => {
    const answers = await Promise.all(Array.from({ length: 20 }, () => fetch(`${h.ingress.url}/readyz`)));

    // The pool keeps the connections it opened (idle) for 30 s: one per probe that ran at once.
    const { rows } = await sql<{ connections: number }>`
      select count(*)::int as connections from pg_stat_activity
      where datname = current_database() and application_name = 'series-killer-ingress'`.execute(h.testDb.db);
    expect(rows[0]?.connections).toBeLessThanOrEqual(1);
    // One probe: every caller gets its answer, whatever it was.
    expect(new Set(answers.map((answer) => answer.status)).size).toBe(1);
  });
});

describe('/metrics without METRICS_TOKEN', () => {
  let h: IngressHarness;
  beforeAll(async () => {
    h = await startIngressHarness();
  });
  afterAll(async () => {
    await h.close();
  });

  it('is not served on the public port', async () => {
    expect((await scrape(h, null)).status).toBe(404);
    expect((await scrape(h, 'any-token-0123456789')).status).toBe(404);
  });
});

describe('readiness and metrics while Redis is unreachable', () => {
  let h: IngressHarness;
  beforeAll(async () => {
    h = await startIngressHarness({ REDIS_URL: `redis://127.0.0.1:${await freePort()}`, METRICS_TOKEN });
  });
  afterAll(async () => {
    await h.close();
  });

  it('answers 503 naming Redis', async () => {
    const response = await fetch(`${h.ingress.url}/readyz`);
    expect(response.status).toBe(503);
    expect(await response.json()).toEqual({ redis: 'down', postgres: 'ok' });
  });

  it('keeps answering /metrics with the process metrics, the queue gauges marked stale', async () => {
    const response = await scrape(h);
    expect(response.status).toBe(200);
    const text = await response.text();
    expect(text).toContain('process_cpu_user_seconds_total');
    expect(text).toContain('ingress_queue_jobs_stale 1');
  });
});
