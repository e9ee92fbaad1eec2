// Ingress throughput: signed status callbacks against (a) bare Express and (b) our ingress with Redis.
import { SANDBOX_DEFAULTS } from '@series-killer/shared';
import { createTestQueuePrefix, deleteQueuePrefix, freePort } from '@series-killer/shared/testing';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { type LoadSummary, runLoad } from './lib/load.ts';
import { repoPath, rssMb, sampleRss, startProcess, waitForHttp } from './lib/processes.ts';
import type { BenchResult } from './lib/results.ts';
import { median, round } from './lib/stats.ts';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const DURATION_SECONDS = Number(process.env.BENCH_DURATION ?? 8);
const CONNECTIONS = 50;

/** The fixed rate at which latency is also measured: p99 at full speed is mostly queueing (50 connections / rate). */
const FIXED_RATE = 1_000;

async function measure(entry: string, env: Record<string, string>, port: number) {
  const server = startProcess(entry, { ...env, PORT: String(port) });
  try {
    await waitForHttp(`http://127.0.0.1:${port}/healthz`, server);
    const idleRssMb = await rssMb(server.pid);
    const url = `http://127.0.0.1:${port}/twilio/sms/status`;
    const options = {
      target: url,
      publicUrl: url,
      authToken: SANDBOX_DEFAULTS.twilioAuthToken,
      connections: CONNECTIONS,
    };
    // A short warm-up lets the JIT and connection pools settle before measuring.
    const warmUp = await runLoad({ ...options, durationSeconds: 2 });
    const rss = sampleRss(server.pid);
    const load = await runLoad({ ...options, durationSeconds: DURATION_SECONDS });
    const peakRssMb = rss.stop();
    const fixedRate = await runLoad({ ...options, durationSeconds: 5, overallRate: FIXED_RATE });
    return { load, fixedRate, idleRssMb, peakRssMb, accepted: warmUp.ok + load.ok + fixedRate.ok };
  } finally {
    await server.stop();
  }
}

async function ingressThroughput(): Promise<BenchResult> {
  const rounds: {
    bare: LoadSummary;
    ingress: LoadSummary;
    bareAt1000: LoadSummary;
    ingressAt1000: LoadSummary;
    ingressIdleRssMb: number;
    ingressRssMb: number;
    accepted: number;
    stored: number;
  }[] = [];
  for (let round_ = 0; round_ < ROUNDS; round_ += 1) {
    const barePort = await freePort();
    const bare = await measure(repoPath('bench/servers/bare-express.ts'), {}, barePort);

    const prefix = createTestQueuePrefix();
    try {
      const ingressPort = await freePort();
      const ingress = await measure(
        repoPath('services/ingress/src/main.ts'),
        { QUEUE_PREFIX: prefix, PUBLIC_BASE_URL: `http://127.0.0.1:${ingressPort}` },
        ingressPort,
      );
      rounds.push({
        bare: bare.load,
        ingress: ingress.load,
        bareAt1000: bare.fixedRate,
        ingressAt1000: ingress.fixedRate,
        ingressIdleRssMb: ingress.idleRssMb,
        ingressRssMb: ingress.peakRssMb,
        accepted: ingress.accepted,
        stored: await countStoredCallbacks(prefix),
      });
    } finally {
      await deleteQueuePrefix(prefix);
    }
  }

  const bareRps = median(rounds.map((r) => r.bare.requestsPerSecond));
  const ingressRps = median(rounds.map((r) => r.ingress.requestsPerSecond));
  const ratio = median(rounds.map((r) => r.ingress.requestsPerSecond / r.bare.requestsPerSecond));
  const p99 = median(rounds.map((r) => r.ingress.latencyP99Ms));
  const errors = rounds.reduce(
    (sum, r) =>
      sum + [r.ingress, r.ingressAt1000].reduce((n, load) => n + load.non2xx + load.errors + load.timeouts, 0),
    0,
  );
  const rss = Math.max(...rounds.map((r) => r.ingressRssMb));
  // Every 2xx answer (warm-up and fixed rate included) must correspond to a job in Redis.
  const lost = rounds.reduce((sum, r) => sum + Math.max(0, r.accepted - r.stored), 0);
  const p99At1000 = median(rounds.map((r) => r.ingressAt1000.latencyP99Ms));
  const idleRss = median(rounds.map((r) => r.ingressIdleRssMb));

  return {
    name: 'ingress-throughput',
    goals: [
      { goal: 'ingress/bare ratio ≥ 0.60', value: round(ratio), met: ratio >= 0.6 },
      { goal: 'ingress p99 ≤ 20 ms', value: p99, met: p99 <= 20 },
      { goal: `ingress p99 ≤ 20 ms at ${FIXED_RATE}/s (at a fixed rate)`, value: p99At1000, met: p99At1000 <= 20 },
      { goal: 'zero errors', value: errors, met: errors === 0 },
      { goal: 'ingress RSS ≤ 150 MB', value: round(rss, 1), met: rss <= 150 },
      { goal: 'every accepted request stored in Redis', value: lost, met: lost === 0 },
    ],
    figures: {
      rounds: ROUNDS,
      durationSeconds: DURATION_SECONDS,
      connections: CONNECTIONS,
      bare: {
        requestsPerSecond: round(bareRps),
        p50Ms: median(rounds.map((r) => r.bare.latencyP50Ms)),
        p99Ms: median(rounds.map((r) => r.bare.latencyP99Ms)),
      },
      ingress: {
        requestsPerSecond: round(ingressRps),
        p50Ms: median(rounds.map((r) => r.ingress.latencyP50Ms)),
        p99Ms: p99,
      },
      ratio: round(ratio),
      latency: [
        {
          label: 'bare Express (a)',
          p50: median(rounds.map((r) => r.bare.latencyP50Ms)),
          p99: median(rounds.map((r) => r.bare.latencyP99Ms)),
        },
        { label: 'ingress + Redis (b)', p50: median(rounds.map((r) => r.ingress.latencyP50Ms)), p99 },
        {
          label: `ingress + Redis at ${FIXED_RATE}/s`,
          p50: median(rounds.map((r) => r.ingressAt1000.latencyP50Ms)),
          p99: p99At1000,
        },
      ],
      peakIngressRssMb: round(rss, 1),
      idleIngressRssMb: round(idleRss, 1),
      atFixedRate: {
        ratePerSecond: FIXED_RATE,
        bareP50Ms: median(rounds.map((r) => r.bareAt1000.latencyP50Ms)),
        bareP99Ms: median(rounds.map((r) => r.bareAt1000.latencyP99Ms)),
        ingressP50Ms: median(rounds.map((r) => r.ingressAt1000.latencyP50Ms)),
        ingressP99Ms: p99At1000,
      },
      perRound: rounds,
    },
  };
}

/** Callbacks the stored jobs carry: the ingress puts those of one event-loop turn in one job. */
async function countStoredCallbacks(prefix: string): Promise<number> {
  const connection = new Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379', { maxRetriesPerRequest: null });
  const queue = new Queue('sms-status', { connection, prefix: `{${prefix}}` });
  try {
    const jobs = await queue.getJobs(['wait', 'active', 'completed', 'failed', 'delayed', 'prioritized'], 0, -1);
    return jobs.reduce((sum, job) => sum + ((job.data as { callbacks?: unknown[] }).callbacks?.length ?? 0), 0);
  } finally {
    await queue.close();
    connection.disconnect();
  }
}

export const benchmarks = { 'ingress-throughput': ingressThroughput };
