import type { Db } from '@series-killer/shared';
import { signedStatusCallbacks } from '../load/signed-status-callbacks.ts';
import { appliedMessageSids, BENCH_AUTH_TOKEN, type Pipeline, readAppliedStats, waitForApplied } from './pipeline.ts';
import type { BenchResult } from './results.ts';
import { type SendReport, sendLikeTwilio } from './twilio-like-client.ts';

/** What every fault drill reports. */
export interface DrillCounts {
  /** Distinct callbacks sent (redeliveries not counted). */
  sent: number;
  /** Callbacks the ingress answered 2xx at least once. */
  accepted: number;
  /** Status events applied to their message in Postgres. */
  applied: number;
  /** Events logged more than once for the same (MessageSid, status). */
  duplicated: number;
  /** Accepted callbacks whose event was never applied. */
  lost: number;
}

/** Compares what the client had accepted with what Postgres applied. */
export async function countDrill(db: Db, sent: number, acceptedSids: string[]): Promise<DrillCounts> {
  const applied = await appliedMessageSids(db);
  const stats = await readAppliedStats(db);
  return {
    sent,
    accepted: acceptedSids.length,
    applied: stats.applied,
    duplicated: stats.duplicated,
    lost: acceptedSids.filter((sid) => !applied.has(sid)).length,
  };
}

/** The goals every drill shares: everything sent accepted and applied, once. */
export function drillGoals(counts: DrillCounts): BenchResult['goals'] {
  return [
    { goal: 'lost = 0', value: counts.lost, met: counts.lost === 0 },
    { goal: 'duplicated = 0', value: counts.duplicated, met: counts.duplicated === 0 },
    {
      goal: 'every callback accepted and applied',
      value: `${counts.applied}/${counts.sent}`,
      met: counts.accepted === counts.sent && counts.applied === counts.sent,
    },
  ];
}

/** The send report without its SID list, for the results file. */
export function sendSummary(report: SendReport): Omit<SendReport, 'acceptedSids'> & { accepted: number } {
  const { acceptedSids, ...rest } = report;
  return { ...rest, accepted: acceptedSids.length };
}

export interface StreamDrillOptions {
  db: Db;
  pipeline: Pipeline;
  /** The seed the messages were inserted with (`seedOutboundMessages`). */
  sidSeed: string;
  count: number;
  ratePerSecond: number;
  /** When the fault starts, ms after the first callback. */
  faultAfterMs: number;
  /** Breaks something and repairs it; returns what the drill should report about it. */
  fault: () => Promise<Record<string, unknown>>;
  /** How long, after the last callback is accepted, the pipeline gets to apply everything. */
  applyTimeoutMs: number;
}

/**
 * Streams `count` callbacks through the pipeline with a Twilio-like retrying client, runs the
 * fault mid-stream, then waits for Postgres to apply what was accepted and counts the outcome.
 */
export async function runStreamDrill(options: StreamDrillOptions) {
  const requests = signedStatusCallbacks(options.count, {
    authToken: BENCH_AUTH_TOKEN,
    url: options.pipeline.statusUrl,
    sidSeed: options.sidSeed,
  });
  let acceptedSoFar = 0;
  const sending = sendLikeTwilio({
    url: options.pipeline.statusUrl,
    requests,
    ratePerSecond: options.ratePerSecond,
    onAccepted: () => {
      acceptedSoFar += 1;
    },
  });
  await new Promise((resolve) => setTimeout(resolve, options.faultAfterMs));
  const acceptedBeforeFault = acceptedSoFar;
  const fault = await options.fault();
  const report = await sending;
  const sentAt = Date.now();
  const applied = await waitForApplied(options.db, report.acceptedSids.length, options.applyTimeoutMs);
  const counts = await countDrill(options.db, options.count, report.acceptedSids);
  return {
    counts,
    figures: {
      ...counts,
      acceptedBeforeFault,
      fault,
      allAppliedWithinMsOfLastAccept: applied >= report.acceptedSids.length ? Date.now() - sentAt : null,
      client: sendSummary(report),
    },
  };
}
