import { setTimeout as sleep } from 'node:timers/promises';
import type { Queues, RedisConnection } from '@series-killer/shared';
import type { Job, JobType, Queue } from 'bullmq';

/** Whose jobs to remove: the user's id, numbers, and the SIDs of their messages and calls. */
export interface JobOwner {
  userId: string;
  phoneNumbers: readonly string[];
  sids: readonly string[];
}

/** What a sweep of the queues did. */
export interface SweptJobs {
  /** Jobs removed, and status batches that lost the user's callbacks. */
  cancelled: number;
  /** Jobs of the user a worker is running now: locked, they are removed once they end. */
  running: number;
  /** Every SID of the user, those the jobs named included (a call known only from a queued webhook). */
  sids: string[];
}

/**
 * Every state: a queued job must never act, and a finished one must not keep the person in
 * Redis (its id, data, result or error name them).
 */
const STATES: readonly JobType[] = [
  'waiting',
  'delayed',
  'prioritized',
  'waiting-children',
  'active',
  'completed',
  'failed',
];

/** Jobs (and event-stream entries) read from Redis per page. */
const PAGE_SIZE = 500;

/** Message and call SIDs, wherever they appear in a job. */
const TWILIO_SID = /\b(?:SM|MM|CA)[0-9a-f]{32}\b/gi;

/**
 * What may name a person in a job's text: a SID, a UUID, or a number's digits (with or without
 * its `+`: Supabase keeps it without), each whole, never part of a longer word.
 */
const IDENTIFIER =
  /\b(?:SM|MM|CA)[0-9a-f]{32}\b|\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b|(?<![0-9A-Za-z])[0-9]{6,15}(?![0-9A-Za-z])/gi;

/** Sweeps over the queues at most; each may learn SIDs (a number's call → its transcription events). */
const MAX_PASSES = 4;

/** How often a sweep waiting for running jobs looks again. */
const RUNNING_POLL_MS = 250;

/** The identifiers that name the owner, as `namesOwner` compares them. */
type OwnerIdentifiers = ReadonlySet<string>;

function identifiersOf(owner: JobOwner): OwnerIdentifiers {
  const digits = owner.phoneNumbers.map((phone) => phone.replace(/^\+/, ''));
  return new Set([owner.userId, ...owner.sids, ...digits].map((identifier) => identifier.toLowerCase()));
}

/** Whether the text names the owner: one set lookup per identifier in it, however many the owner has. */
function namesOwner(text: string, owner: OwnerIdentifiers): boolean {
  for (const [identifier] of text.matchAll(IDENTIFIER)) if (owner.has(identifier.toLowerCase())) return true;
  return false;
}

/** A job of the owner: removed, or, for a status batch still to run, stripped of their callbacks. */
interface Finding {
  job: Job;
  state: JobType;
  /** SIDs the owner's part of the job names. */
  sids: string[];
  /** The other senders' callbacks of a status batch, kept to be applied. */
  rest?: unknown[];
}

/** Everything a job holds that Redis keeps, as text. */
function textOf(job: Job): string {
  return JSON.stringify([job.id, job.data, job.returnvalue, job.progress, job.failedReason, job.stacktrace]);
}

function sidsIn(text: string): string[] {
  return [...text.matchAll(TWILIO_SID)].map((match) => match[0]);
}

/**
 * The owner's part of a job, if any. A status batch carries many senders' callbacks: until it
 * has run, only the owner's callbacks go; once completed it has done its work and goes whole.
 */
function inspect(job: Job, state: JobType, owner: OwnerIdentifiers): Finding | undefined {
  const callbacks = job.name === 'apply-sms-statuses' ? (job.data as { callbacks?: unknown }).callbacks : undefined;
  if (Array.isArray(callbacks) && state !== 'completed') {
    const theirs = callbacks.filter((callback) => namesOwner(JSON.stringify(callback), owner));
    if (theirs.length === 0) return undefined;
    const rest = callbacks.filter((callback) => !theirs.includes(callback));
    return { job, state, sids: sidsIn(JSON.stringify(theirs)), ...(rest.length > 0 ? { rest } : {}) };
  }
  const text = textOf(job);
  if (!namesOwner(text, owner)) return undefined;
  // A batch's text names other senders' messages too: only its own SIDs are the owner's.
  return { job, state, sids: Array.isArray(callbacks) ? [] : sidsIn(text) };
}

async function findOwnerJobs(queue: Queue, owner: OwnerIdentifiers): Promise<Finding[]> {
  const found: Finding[] = [];
  for (const state of STATES) {
    for (let start = 0; ; start += PAGE_SIZE) {
      const jobs = await queue.getJobs([state], start, start + PAGE_SIZE - 1, true);
      for (const job of jobs) {
        const finding = job?.id ? inspect(job, state, owner) : undefined;
        if (finding) found.push(finding);
      }
      if (jobs.length < PAGE_SIZE) break;
    }
  }
  return found;
}

/** Removes a finding's job (or the owner's callbacks from it); false when a worker holds it (BullMQ's remove then does nothing). */
async function cancel(queue: Queue, finding: Finding): Promise<boolean> {
  if (finding.rest) {
    await finding.job.updateData({ callbacks: finding.rest });
    return true;
  }
  if (finding.state === 'active') return false;
  return (await queue.remove(finding.job.id as string)) === 1;
}

/** Deletes the queue's event-stream entries that name the owner (a removed job's id is written there). */
async function purgeEvents(queue: Queue, owner: OwnerIdentifiers): Promise<void> {
  // The queues run on the ioredis connection createQueues was given; BullMQ types it narrower.
  const client = (await queue.getBackend().client) as unknown as RedisConnection;
  const key = queue.keys.events as string;
  for (let start = '-'; ; ) {
    const entries = await client.xrange(key, start, '+', 'COUNT', PAGE_SIZE);
    const theirs = entries.filter(([, fields]) => namesOwner(fields.join('\n'), owner)).map(([id]) => id);
    if (theirs.length > 0) await client.xdel(key, ...theirs);
    const last = entries.at(-1);
    if (!last || entries.length < PAGE_SIZE) return;
    start = `(${last[0]}`;
  }
}

/**
 * Removes every job of the owner from every queue, in every state, and the queues' events
 * that name them. Jobs name the owner at any depth (a status batch's callback carries the
 * number in its raw form); a job naming them also names SIDs of theirs (a queued call webhook
 * names the call its transcription events carry), so the sweep repeats with those until it
 * learns no more. A running job cannot be removed: it is counted, and left to `sweepUntilEnded`.
 */
export async function cancelUserJobs(queues: Queues, owner: JobOwner): Promise<SweptJobs> {
  const sids = new Set(owner.sids);
  let findings: { queue: Queue; finding: Finding }[] = [];
  for (let pass = 0; pass < MAX_PASSES; pass++) {
    const known = sids.size;
    const identifiers = identifiersOf({ ...owner, sids: [...sids] });
    findings = [];
    for (const queue of Object.values(queues))
      for (const finding of await findOwnerJobs(queue, identifiers)) findings.push({ queue, finding });
    for (const { finding } of findings) for (const sid of finding.sids) sids.add(sid);
    if (sids.size === known) break;
  }
  let cancelled = 0;
  let running = 0;
  for (const { queue, finding } of findings) {
    if (await cancel(queue, finding)) cancelled++;
    else running++;
  }
  const identifiers = identifiersOf({ ...owner, sids: [...sids] });
  for (const queue of Object.values(queues)) await purgeEvents(queue, identifiers);
  return { cancelled, running, sids: [...sids] };
}

/**
 * Sweeps until no job of the owner is running, or `waitMs` passed: a job that was running
 * when the erasure began leaves its result in Redis when it ends, and is removed then.
 */
export async function sweepUntilEnded(queues: Queues, owner: JobOwner, waitMs: number): Promise<SweptJobs> {
  const deadline = Date.now() + waitMs;
  let cancelled = 0;
  for (;;) {
    const swept = await cancelUserJobs(queues, owner);
    cancelled += swept.cancelled;
    if (swept.running === 0 || Date.now() >= deadline) return { ...swept, cancelled };
    await sleep(RUNNING_POLL_MS);
  }
}
