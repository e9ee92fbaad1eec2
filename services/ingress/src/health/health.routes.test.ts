import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { fakeSid, freePort } from '@series-killer/shared/testing';
import { type IngressHarness, startIngressHarness } from '../testing/ingress-harness.ts';

describe('health, readiness and metrics', () => {
  let h: IngressHarness;
  beforeAll(async () => {
    h = await startIngressHarness();
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

  it('exports requests by route and outcome, enqueue latency and queue depths', async () => {
    const messageSid = fakeSid('SM');
    await h.postSigned('/twilio/sms/status', {
      MessageSid: messageSid,
      MessageStatus: 'delivered',
      AccountSid: `AC${'0'.repeat(32)}`,
    });
    await fetch(`${h.ingress.url}/twilio/sms/status`, { method: 'POST' });

    const response = await fetch(`${h.ingress.url}/metrics`);
    expect(response.status).toBe(200);
    const text = await response.text();
    expect(text).toContain('ingress_http_requests_total{route="/twilio/sms/status",method="POST",status="204"} 1');
    expect(text).toContain('ingress_http_requests_total{route="/twilio/sms/status",method="POST",status="403"} 1');
    expect(text).toMatch(/ingress_enqueue_duration_seconds_count\{queue="sms-status",outcome="stored"\} 1/);
    expect(text).toContain('ingress_queue_jobs{queue="sms-status",state="waiting"} 1');
    expect(text).toContain('process_cpu_user_seconds_total');
  });

  it('answers unknown routes with JSON 404', async () => {
    const response = await fetch(`${h.ingress.url}/nope`);
    expect(response.status).toBe(404);
    expect(await response.json()).toEqual({ error: 'no route for GET /nope' });
  });
});

describe('readiness while Redis is unreachable', () => {
  let h: IngressHarness;
  beforeAll(async () => {
    h = await startIngressHarness({ REDIS_URL: `redis://127.0.0.1:${await freePort()}` });
  });
  afterAll(async () => {
    await h.close();
  });

  it('answers 503 naming Redis', async () => {
    const response = await fetch(`${h.ingress.url}/readyz`);
    expect(response.status).toBe(503);
    expect(await response.json()).toEqual({ redis: 'down', postgres: 'ok' });
  });
});
