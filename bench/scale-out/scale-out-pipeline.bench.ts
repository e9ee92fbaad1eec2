// Pipeline updates/s (signed status callback → ingress → Redis → SMS worker → Postgres) with one
// and two replicas of every worker, on the single Redis and on the local Redis Cluster.
import { SANDBOX_DEFAULTS } from '@series-killer/shared';
import { LOCAL_CLUSTER_NODES, startClusterStack } from '../../scripts/scale-out/cluster-stack.ts';
import { runLoad } from '../lib/load.ts';
import type { BenchResult } from '../lib/results.ts';
import { round } from '../lib/stats.ts';
import { newSidSeed } from '../load/signed-status-callbacks.ts';
import { appliedStatusCount, insertOutboundMessages } from './pipeline.ts';

const CALLBACKS = Number(process.env.BENCH_SCALE_OUT_CALLBACKS ?? 5_000);
const CONNECTIONS = 20;
/** How long the pipeline may take to apply every callback before the run counts as failed. */
const DRAIN_TIMEOUT_MS = 180_000;

interface Setup {
  redis: 'single' | 'cluster';
  replicas: 1 | 2;
}

const SETUPS: Setup[] = [
  { redis: 'single', replicas: 1 },
  { redis: 'single', replicas: 2 },
  { redis: 'cluster', replicas: 1 },
  { redis: 'cluster', replicas: 2 },
];

async function measure(setup: Setup) {
  const stack = await startClusterStack({
    replicas: setup.replicas,
    clusterNodes: setup.redis === 'cluster' ? LOCAL_CLUSTER_NODES : '',
    sandbox: false,
    env: { DATABASE_POOL_SIZE: '10' },
  });
  try {
    const sidSeed = newSidSeed();
    await insertOutboundMessages(stack.db, sidSeed, CALLBACKS);
    const url = `${stack.publicBaseUrl}/twilio/sms/status`;
    const startedAt = Date.now();
    const load = await runLoad({
      target: url,
      publicUrl: url,
      authToken: SANDBOX_DEFAULTS.twilioAuthToken,
      connections: CONNECTIONS,
      amount: CALLBACKS,
      sidSeed,
    });
    const deadline = Date.now() + DRAIN_TIMEOUT_MS;
    let applied = await appliedStatusCount(stack.db);
    while (applied < load.ok && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      applied = await appliedStatusCount(stack.db);
    }
    const seconds = (Date.now() - startedAt) / 1000;
    return {
      ...setup,
      accepted: load.ok,
      applied,
      updatesPerSecond: round(applied / seconds),
      ingressRequestsPerSecond: round(load.requestsPerSecond),
      p50Ms: load.latencyP50Ms,
      p99Ms: load.latencyP99Ms,
    };
  } finally {
    await stack.cleanUp();
  }
}

async function scaleOutPipeline(): Promise<BenchResult> {
  const runs: Awaited<ReturnType<typeof measure>>[] = [];
  for (const setup of SETUPS) runs.push(await measure(setup));
  const lost = runs.reduce((sum, run) => sum + (run.accepted - run.applied), 0);
  const rate = (redis: Setup['redis'], replicas: Setup['replicas']) =>
    runs.find((run) => run.redis === redis && run.replicas === replicas)?.updatesPerSecond ?? 0;
  const clusterRatio = rate('cluster', 1) / rate('single', 1);
  return {
    name: 'scale-out-pipeline',
    goals: [
      { goal: 'every accepted callback applied', value: lost, met: lost === 0 },
      { goal: 'cluster ≥ 0.5 × single Redis (1 replica)', value: round(clusterRatio), met: clusterRatio >= 0.5 },
    ],
    figures: {
      callbacks: CALLBACKS,
      connections: CONNECTIONS,
      runs,
      latency: runs.map((run) => ({
        label: `callbacks, ${run.redis} Redis, ${run.replicas}× workers`,
        p50: run.p50Ms,
        p99: run.p99Ms,
      })),
    },
  };
}

export const benchmarks = { 'scale-out-pipeline': scaleOutPipeline };
