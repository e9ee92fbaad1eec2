import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { get as httpGet, type IncomingMessage } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { QUEUE_NAMES } from '@series-killer/shared';
import { chromium } from 'playwright-core';
import request from 'supertest';
import { type IngressHarness, startIngressHarness } from '../testing/ingress-harness.ts';

const USER = 'operator';
const PASSWORD = 'dashboard-password-1';
const CHROMIUM = '/usr/bin/chromium';
const OUTPUT_DIR = new URL('../../test-output/', import.meta.url);

/** GET /admin/queues with basic auth, from a given local address. */
function getFrom(h: IngressHarness, localAddress: string, password: string): Promise<IncomingMessage> {
  return new Promise((resolve, reject) => {
    const req = httpGet(`${h.ingress.url}/admin/queues`, { localAddress, auth: `${USER}:${password}` }, (res) => {
      res.resume();
      res.on('end', () => resolve(res));
    });
    req.on('error', reject);
  });
}

describe('dashboard', () => {
  let h: IngressHarness;
  beforeAll(async () => {
    h = await startIngressHarness({ DASHBOARD_USER: USER, DASHBOARD_PASSWORD: PASSWORD });
  });
  afterAll(async () => {
    await h.close();
  });

  it('asks for basic auth (401) without or with wrong credentials', async () => {
    const none = await request(h.ingress.url).get('/admin/queues');
    expect(none.status).toBe(401);
    expect(none.headers['www-authenticate']).toMatch(/^Basic realm=/);
    const wrong = await request(h.ingress.url).get('/admin/queues').auth(USER, 'not-the-password');
    expect(wrong.status).toBe(401);
  });

  it('answers 429 with Retry-After once a client has failed 10 times in a minute, right password or not', async () => {
    // From addresses of their own (loopback aliases), so that the other tests' client is not held back.
    const attacker = '127.0.0.3';
    for (let failure = 0; failure < 10; failure += 1) {
      expect((await getFrom(h, attacker, 'not-the-password')).statusCode).toBe(401);
    }
    const held = await getFrom(h, attacker, PASSWORD);
    expect(held.statusCode).toBe(429);
    expect(Number(held.headers['retry-after'])).toBeGreaterThan(0);
    expect(Number(held.headers['retry-after'])).toBeLessThanOrEqual(60);
    expect((await getFrom(h, '127.0.0.4', PASSWORD)).statusCode).toBe(200);
  });

  it('serves Bull Board and its API over all six queues with the right credentials', async () => {
    const page = await request(h.ingress.url).get('/admin/queues').auth(USER, PASSWORD);
    expect(page.status).toBe(200);
    expect(page.headers['content-type']).toMatch(/^text\/html/);
    const api = await request(h.ingress.url).get('/admin/queues/api/queues').auth(USER, PASSWORD);
    expect(api.status).toBe(200);
    const names = (api.body as { queues: { name: string }[] }).queues.map((queue) => queue.name).sort();
    expect(names).toEqual([...QUEUE_NAMES].sort());
  });

  it('refuses state-changing requests from another origin', async () => {
    const crossOrigin = await request(h.ingress.url)
      .put('/admin/queues/api/queues/calls/pause')
      .auth(USER, PASSWORD)
      .set('Origin', 'https://evil.example');
    expect(crossOrigin.status).toBe(403);
    const noOrigin = await request(h.ingress.url).put('/admin/queues/api/queues/calls/pause').auth(USER, PASSWORD);
    expect(noOrigin.status).toBe(403);
    expect(await h.queues.calls.isPaused()).toBe(false);

    const sameOrigin = await request(h.ingress.url)
      .put('/admin/queues/api/queues/calls/pause')
      .auth(USER, PASSWORD)
      .set('Origin', h.config.http.publicBaseUrl);
    expect(sameOrigin.status).toBe(200);
    expect(await h.queues.calls.isPaused()).toBe(true);
    await h.queues.calls.resume();
  });

  it('shows the six queues in a real headless Chromium after logging in', async () => {
    if (!existsSync(CHROMIUM)) {
      throw new Error(
        `Chromium is missing at ${CHROMIUM}: install Debian's chromium package to run the dashboard test`,
      );
    }
    const browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    });
    try {
      const context = await browser.newContext({ httpCredentials: { username: USER, password: PASSWORD } });
      const page = await context.newPage();
      const response = await page.goto(`${h.ingress.url}/admin/queues`);
      expect(response?.status()).toBe(200);
      for (const name of QUEUE_NAMES) {
        await page.getByText(name, { exact: true }).first().waitFor({ timeout: 15_000 });
      }
      await mkdir(OUTPUT_DIR, { recursive: true });
      await page.screenshot({ path: new URL('dashboard.png', OUTPUT_DIR).pathname, fullPage: true });
    } finally {
      await browser.close();
    }
  });
});

describe('dashboard without credentials configured', () => {
  let h: IngressHarness;
  beforeAll(async () => {
    h = await startIngressHarness();
  });
  afterAll(async () => {
    await h.close();
  });

  it('does not exist (404)', async () => {
    const response = await request(h.ingress.url).get('/admin/queues').auth(USER, PASSWORD);
    expect(response.status).toBe(404);
  });
});
