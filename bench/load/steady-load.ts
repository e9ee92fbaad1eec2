// Steady-rate load generator, run in its own process: `node steady-load.ts '<json options>'`.
// Open loop: the i-th request is due at start + i / rate and is sent in the millisecond it falls
// due, whatever earlier answers are doing, so arrivals are spread evenly over each second (a
// closed-loop generator capped per second sends each second's requests in one burst instead).
// A request's latency runs from when it was due, so a late send counts against the server too.
// A second of `GET /healthz` at the same rate first opens the connections and warms both sides'
// HTTP code, so the figures are not those of a cold start.
import { Agent, request } from 'node:http';
import { type LoadOptions, type LoadSummary, twilioSignedStatusUrl } from '../lib/load.ts';
import { percentile } from '../lib/stats.ts';
import { signedStatusCallbacks } from './signed-status-callbacks.ts';

const options = JSON.parse(process.argv[2] ?? '{}') as LoadOptions;
const rate = options.overallRate ?? 1_000;
const durationSeconds = options.durationSeconds ?? 10;
const total = options.amount ?? Math.round(rate * durationSeconds);
const timeoutMs = (options.timeoutSeconds ?? 10) * 1_000;
const target = new URL(options.target);
const requests = signedStatusCallbacks(total, {
  authToken: options.authToken,
  url: twilioSignedStatusUrl(options.publicUrl),
  sids: options.sids,
  sidSeed: options.sidSeed,
  firstIndex: options.sidOffset,
});
// Idle sockets close after 4 s, before the server's 5 s keep-alive timeout: an agent reuses its
// most recent sockets first, so at a steady rate some stay idle, and one the server is closing
// just as a request reuses it fails with ECONNRESET.
const agent = new Agent({ keepAlive: true, maxSockets: options.connections, timeout: 4_000 });

const latencies: number[] = [];
let ok = 0;
let non2xx = 0;
let errors = 0;
let timeouts = 0;
let settled = 0;
/** When the measured requests began, after the warm-up. */
let startedAt = 0;

const WARM_UP_MS = 1_000;

function finish(): void {
  agent.destroy();
  const elapsedSeconds = (performance.now() - startedAt) / 1_000;
  latencies.sort((a, b) => a - b);
  const summary: LoadSummary = {
    requestsPerSecond: Math.round(ok / elapsedSeconds),
    total: settled,
    latencyP50Ms: Math.round(percentile(latencies, 50)),
    latencyP99Ms: Math.round(percentile(latencies, 99)),
    latencyMaxMs: Math.round(latencies.at(-1) ?? 0),
    non2xx,
    errors,
    timeouts,
    ok,
    durationSeconds: Math.round(elapsedSeconds * 100) / 100,
  };
  process.stdout.write(`${JSON.stringify(summary)}\n`);
}

function settle(outcome: 'ok' | 'non2xx' | 'error' | 'timeout', dueAt: number): void {
  if (outcome === 'ok') {
    ok += 1;
    latencies.push(performance.now() - dueAt);
  } else if (outcome === 'non2xx') non2xx += 1;
  else if (outcome === 'error') errors += 1;
  else timeouts += 1;
  settled += 1;
  if (settled === total) finish();
}

function send(index: number, dueAt: number): void {
  const signed = requests[index] as (typeof requests)[number];
  const req = request(
    {
      agent,
      host: target.hostname,
      port: target.port,
      path: target.pathname,
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        'content-length': Buffer.byteLength(signed.body),
        'x-twilio-signature': signed.signature,
      },
    },
    (res) => {
      res.resume();
      res.on('end', () => settle(res.statusCode && res.statusCode < 300 ? 'ok' : 'non2xx', dueAt));
    },
  );
  req.setTimeout(timeoutMs, () => req.destroy(new Error('timeout')));
  req.on('error', (error) => settle(error.message === 'timeout' ? 'timeout' : 'error', dueAt));
  req.end(signed.body);
}

/**
 * Calls `sendOne(i, dueAt)` for each i below `count`, `rate` a second from now, each in the
 * millisecond it falls due; then `done`.
 */
function openLoop(count: number, sendOne: (index: number, dueAt: number) => void, done: () => void): void {
  const loopStartedAt = performance.now();
  let sent = 0;
  const tick = () => {
    const due = Math.min(count, Math.floor(((performance.now() - loopStartedAt) * rate) / 1_000) + 1);
    for (; sent < due; sent += 1) sendOne(sent, loopStartedAt + (sent * 1_000) / rate);
    if (sent < count) setTimeout(tick, 1);
    else done();
  };
  tick();
}

function sendHealthCheck(): void {
  request({ agent, host: target.hostname, port: target.port, path: '/healthz' }, (res) => res.resume())
    .on('error', () => undefined)
    .end();
}

openLoop(Math.round((rate * WARM_UP_MS) / 1_000), sendHealthCheck, () => {
  startedAt = performance.now();
  openLoop(total, send, () => undefined);
});
