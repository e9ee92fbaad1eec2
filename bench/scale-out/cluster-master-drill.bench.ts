// Fault drill: the cluster master that holds the stack's queues is killed (kill -9) during a
// steady stream of signed status callbacks, and started again 5 s later. Reports how long the
// ingress answers 503, whether callbacks it accepted were lost, and how the stack recovers;
// once without persistence (as scripts/redis-cluster.sh runs it) and once with AOF fsync always.
import { SANDBOX_DEFAULTS } from '@series-killer/shared';
import { waitFor } from '@series-killer/shared/testing';
import { startClusterStack } from '../../scripts/scale-out/cluster-stack.ts';
import type { BenchResult } from '../lib/results.ts';
import { newSidSeed, signedStatusCallbacks } from '../load/signed-status-callbacks.ts';
import {
  clusterStateOk,
  drillClusterNodes,
  enableAppendOnly,
  killNode,
  masterOfPrefix,
  restartNode,
  startDrillCluster,
  stopDrillCluster,
} from './drill-cluster.ts';
import { insertOutboundMessages, sidsWithStatusEvents } from './pipeline.ts';

const RATE_PER_SECOND = 100;
const KILL_AT_MS = 6_000;
const DOWN_FOR_MS = 5_000;
const LOAD_MS = 25_000;
/** A request that has not been answered in this time counts as refused. */
const REQUEST_TIMEOUT_MS = 5_000;

interface Answer {
  sid: string;
  at: number;
  status: number;
}

/** Posts one signed callback every 1/RATE seconds for `LOAD_MS`, each for its own message. */
async function steadyLoad(url: string, sids: string[], during: (elapsedMs: number) => void): Promise<Answer[]> {
  const requests = signedStatusCallbacks(sids.length, { authToken: SANDBOX_DEFAULTS.twilioAuthToken, url, sids });
  const answers: Promise<Answer>[] = [];
  const start = Date.now();
  for (let i = 0; Date.now() - start < LOAD_MS && i < requests.length; i += 1) {
    const request = requests[i] as (typeof requests)[number];
    const at = Date.now();
    answers.push(
      fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-twilio-signature': request.signature },
        body: request.body,
        signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
      }).then(
        (response) => ({ sid: request.messageSid, at, status: response.status }),
        () => ({ sid: request.messageSid, at, status: 0 }),
      ),
    );
    during(at - start);
    const next = start + ((i + 1) * 1000) / RATE_PER_SECOND;
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, next - Date.now())));
  }
  return Promise.all(answers);
}

async function drill(appendOnly: boolean) {
  startDrillCluster();
  if (appendOnly) await enableAppendOnly();
  const stack = await startClusterStack({ replicas: 2, clusterNodes: drillClusterNodes(), sandbox: false });
  try {
    const sids = await insertOutboundMessages(
      stack.db,
      newSidSeed(),
      Math.ceil((RATE_PER_SECOND * LOAD_MS) / 1000) + 100,
    );
    const port = masterOfPrefix(stack.prefix);
    const url = `${stack.publicBaseUrl}/twilio/sms/status`;
    let killedAt = 0;
    let restartedAt = 0;
    let kill: Promise<void> | undefined;
    const answers = await steadyLoad(url, sids, (elapsed) => {
      if (!kill && elapsed >= KILL_AT_MS) {
        kill = killNode(port).then(async () => {
          killedAt = Date.now();
          await new Promise((resolve) => setTimeout(resolve, DOWN_FOR_MS));
          restartNode(port, appendOnly);
          restartedAt = Date.now();
        });
      }
    });
    await kill;
    await waitFor('cluster_state:ok', clusterStateOk, { timeoutMs: 30_000, intervalMs: 50 });
    const clusterOkAt = Date.now();

    const accepted = answers.filter((answer) => answer.status >= 200 && answer.status < 300);
    const refused = answers.filter((answer) => answer.status === 0 || answer.status >= 300);
    const firstRefused = Math.min(...refused.map((answer) => answer.at));
    const lastRefused = Math.max(...refused.map((answer) => answer.at));
    const acceptedSids = accepted.map((answer) => answer.sid);
    // Wait for the backlog, but not for events that will never come: stop when nothing moves for 15 s.
    let stored = new Set<string>();
    let lastProgress = Date.now();
    while (stored.size < acceptedSids.length && Date.now() - lastProgress < 15_000) {
      const now = await sidsWithStatusEvents(stack.db, acceptedSids);
      if (now.size > stored.size) lastProgress = Date.now();
      stored = now;
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    const lost = acceptedSids.filter((sid) => !stored.has(sid));
    const lostAcceptedAt = accepted.filter((answer) => !stored.has(answer.sid)).map((answer) => answer.at - killedAt);
    const alive = stack.processes.filter((proc) => proc.child.exitCode === null && proc.child.signalCode === null);
    return {
      persistence: appendOnly ? 'AOF, appendfsync always' : 'none (as scripts/redis-cluster.sh)',
      killedPort: port,
      requests: answers.length,
      accepted: accepted.length,
      refused: refused.length,
      refusedStatuses: [...new Set(refused.map((answer) => answer.status))],
      unavailableMs: refused.length > 0 ? lastRefused - firstRefused : 0,
      firstRefusalAfterKillMs: refused.length > 0 ? firstRefused - killedAt : null,
      lastRefusalAfterRestartMs: refused.length > 0 ? lastRefused - restartedAt : null,
      clusterOkAfterRestartMs: clusterOkAt - restartedAt,
      lostAccepted: lost.length,
      lostAcceptedRelativeToKillMs:
        lostAcceptedAt.length > 0 ? [Math.min(...lostAcceptedAt), Math.max(...lostAcceptedAt)] : null,
      backlogAppliedAfterLoadMs: lastProgress - (answers.at(-1)?.at ?? lastProgress),
      processesAlive: `${alive.length}/${stack.processes.length}`,
    };
  } finally {
    await stack.cleanUp().catch(() => {});
    await stopDrillCluster();
  }
}

async function clusterMasterDrill(): Promise<BenchResult> {
  const runs = [await drill(false), await drill(true)];
  const withAof = runs[1];
  return {
    name: 'cluster-master-drill',
    goals: [
      {
        goal: 'ingress answers again ≤ 10 s after the node is back',
        value: Math.max(...runs.map((run) => run.lastRefusalAfterRestartMs ?? 0)),
        met: runs.every((run) => (run.lastRefusalAfterRestartMs ?? 0) <= 10_000),
      },
      {
        goal: 'no accepted callback lost with AOF fsync always',
        value: withAof?.lostAccepted ?? -1,
        met: withAof?.lostAccepted === 0,
      },
      {
        goal: 'every service process survives',
        value: runs.map((run) => run.processesAlive).join(', '),
        met: runs.every((run) => run.processesAlive.split('/')[0] === run.processesAlive.split('/')[1]),
      },
    ],
    figures: { ratePerSecond: RATE_PER_SECOND, killAtMs: KILL_AT_MS, downForMs: DOWN_FOR_MS, runs },
  };
}

export const benchmarks = { 'cluster-master-drill': clusterMasterDrill };
