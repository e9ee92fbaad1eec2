// The voice bot: concurrent conversations through real WebSockets against the sandbox's streamed
// model (first token after 300 ms, then one every 20 ms), the voice service run as `npm start` runs it.
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SANDBOX_DEFAULTS, VOICE_RELAY_PATH } from '@series-killer/shared';
import { createTestDatabase, createTestQueuePrefix, deleteQueuePrefix, freePort } from '@series-killer/shared/testing';
import OpenAI from 'openai';
import twilio from 'twilio';
import { WebSocket } from 'ws';
import { buildServices } from '../scripts/stack/build-services.ts';
import {
  COMPILED_ENTRY_POINTS,
  serviceNodeOptions,
  VOICE_NODE_FLAGS,
  VOICE_PROCESS_ENV,
} from '../scripts/stack/stack-processes.ts';
import { type RunningProcess, startProcess, waitForHttp, waitForOutput } from './lib/processes.ts';
import type { BenchResult } from './lib/results.ts';
import { percentile, round } from './lib/stats.ts';

const CALLS = Number(process.env.BENCH_VOICE_CALLS ?? 500);
const FIRST_TOKEN_MS = 300;
const INTER_TOKEN_MS = 20;
const PUBLIC_URL = 'wss://voice.bench.example/voice/relay';
/** Echoed back by the sandbox's model: a reply of about 50 tokens, a second at 20 ms a token. */
const PROMPT =
  'I finished the last season of my favourite detective series yesterday and I would like something similar to watch tonight, ideally with short episodes, a clever plot, good characters and not too much violence, what would you suggest?';
/** Calls interrupted mid-reply in the measured round, one every INTERRUPT_SPACING_MS. */
const INTERRUPTS = Number(process.env.BENCH_VOICE_INTERRUPTS ?? 100);
/**
 * Milliseconds between two interrupts: more than an abort may take, so the sandbox sees the
 * streams close in the order they were interrupted and each abort pairs with its interrupt.
 */
const INTERRUPT_SPACING_MS = 5;
/**
 * The sustained round: every call takes a turn every TURN_EVERY_MS (its caller speaks, the bot's
 * reply streams in about 1.3 s and is spoken), the calls spread evenly over that time, for
 * SUSTAINED_MS, while the voice process's RSS is read every RSS_EVERY_MS.
 */
const TURN_EVERY_MS = 5_000;
const SUSTAINED_MS = 20_000;
const RSS_EVERY_MS = 250;
/** Time an idle process is left after start-up before it is measured, as the memory benchmark does, in ms. */
const SETTLE_MS = 5_000;

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
/** Epoch milliseconds with sub-millisecond precision, the clock the sandbox stamps aborts with. */
const now = () => performance.timeOrigin + performance.now();

async function rssMb(pid: number): Promise<number> {
  const rollup = await readFile(`/proc/${pid}/smaps_rollup`, 'utf8');
  return Number(/^Rss:\s+(\d+) kB$/m.exec(rollup)?.[1]) / 1024;
}

/** CPU time the process has used, user and system, in ms. */
async function cpuMs(pid: number): Promise<number> {
  const fields = (await readFile(`/proc/${pid}/stat`, 'utf8')).split(') ')[1]?.split(' ') ?? [];
  // utime and stime, fields 14 and 15 of stat(5), in clock ticks (100 a second on Linux).
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

/** The median of three RSS readings a second apart, in MB. */
async function settledRssMb(pid: number): Promise<number> {
  const readings: number[] = [];
  for (let i = 0; i < 3; i += 1) {
    if (i > 0) await pause(1_000);
    readings.push(await rssMb(pid));
  }
  return readings.sort((a, b) => a - b)[1] as number;
}

/** A metric of the voice service's `/metrics`, by its line's name and labels. */
async function metric(metricsPort: number, line: string): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text();
  const escaped = line.replace(/[{}."]/g, (char) => `\\${char}`);
  return Number(new RegExp(`^${escaped} (\\S+)$`, 'm').exec(text)?.[1]);
}

/**
 * The voice process's live heap in MB: a heap snapshot (asked for with SIGUSR2) makes V8 collect
 * every garbage object first, so the heap used right after it is what the process holds.
 */
async function liveHeapMb(proc: RunningProcess, metricsPort: number, snapshotDir: string): Promise<number> {
  const before = new Set(await readdir(snapshotDir));
  process.kill(proc.pid, 'SIGUSR2');
  let written: string[] = [];
  const deadline = Date.now() + 60_000;
  while (written.length === 0 && Date.now() < deadline) {
    await pause(50);
    written = (await readdir(snapshotDir)).filter((file) => !before.has(file));
  }
  if (written.length === 0) throw new Error('timed out waiting for the heap snapshot');
  // The process writes its snapshot on its main thread: it answers once the snapshot is done.
  const heap = await metric(metricsPort, 'nodejs_heap_size_used_bytes');
  for (const file of written) await rm(join(snapshotDir, file));
  return heap / 1024 / 1024;
}

interface Call {
  ws: WebSocket;
  /** Every text token with when it arrived. */
  texts: { token: string; last: boolean; at: number }[];
  /** Texts received when the pong of the ping sent right after the last interrupt came back. */
  textsAtPong?: number;
}

async function openCall(url: string, signature: string, n: number): Promise<Call> {
  const ws = new WebSocket(`${url.replace(/^http/, 'ws')}${VOICE_RELAY_PATH}`, {
    headers: { 'X-Twilio-Signature': signature },
  });
  const call: Call = { ws, texts: [] };
  ws.on('pong', () => {
    call.textsAtPong = call.texts.length;
  });
  ws.on('message', (data) => {
    const message = JSON.parse(data.toString()) as { type: string; token?: string; last?: boolean };
    if (message.type === 'text')
      call.texts.push({ token: message.token ?? '', last: message.last ?? false, at: now() });
  });
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
  });
  const hex = n.toString(16).padStart(32, '0');
  ws.send(
    JSON.stringify({
      type: 'setup',
      sessionId: `VX${hex}`,
      callSid: `CA${hex}`,
      from: `+1415${String(5_000_000 + n).padStart(7, '0')}`,
      to: '+15005550006',
      direction: 'inbound',
      customParameters: {},
    }),
  );
  return call;
}

async function until(check: () => boolean, what: string, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await pause(5);
  }
}

/**
 * Every call takes a turn every TURN_EVERY_MS, staggered, for SUSTAINED_MS: about a quarter of the
 * calls have a reply streaming at any moment. Resolves with the process's RSS readings, in MB, once
 * every reply has ended.
 */
async function sustainedConversation(calls: Call[], pid: number): Promise<number[]> {
  const timers: NodeJS.Timeout[] = [];
  const ask = (call: Call) => {
    call.texts.length = 0;
    call.ws.send(JSON.stringify({ type: 'prompt', voicePrompt: PROMPT, lang: 'en-US', last: true }));
  };
  calls.forEach((call, n) => {
    const offset = (n * TURN_EVERY_MS) / calls.length;
    timers.push(
      setTimeout(() => {
        ask(call);
        timers.push(setInterval(() => ask(call), TURN_EVERY_MS));
      }, offset),
    );
  });
  const readings: number[] = [];
  const end = Date.now() + SUSTAINED_MS;
  while (Date.now() < end) {
    readings.push(await rssMb(pid));
    await pause(RSS_EVERY_MS);
  }
  for (const timer of timers) clearTimeout(timer);
  await until(() => calls.every((call) => call.texts.some((text) => text.last)), 'sustained replies to end');
  return readings;
}

/** Time to first token of the same streams asked of the sandbox directly, at the same concurrency: the model's share. */
async function directFirstTokens(baseUrl: string): Promise<number[]> {
  const openai = new OpenAI({ apiKey: SANDBOX_DEFAULTS.openaiApiKey, baseURL: `${baseUrl}/v1`, maxRetries: 0 });
  return Promise.all(
    Array.from({ length: CALLS }, async () => {
      const asked = now();
      const stream = await openai.chat.completions.create({
        model: 'gpt-4o-mini',
        messages: [{ role: 'user', content: PROMPT }],
        stream: true,
      });
      let first = 0;
      for await (const chunk of stream) if (!first && chunk.choices[0]?.delta.content) first = now();
      return first - asked - FIRST_TOKEN_MS;
    }),
  );
}

interface StreamStats {
  aborted: number;
  tokensAfterAbort: number;
  aborts: { abortedAt: number }[];
}

/** The sandbox, run as a process of its own so that its timers do not share the load generator's event loop. */
async function startSandboxProcess(databaseUrl: string) {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const proc = startProcess(COMPILED_ENTRY_POINTS.sandbox, {
    DATABASE_URL: databaseUrl,
    SANDBOX_PORT: String(port),
    NODE_OPTIONS: serviceNodeOptions(),
  });
  await waitForHttp(`${url}/sandbox/openai/streams`, proc);
  const control = (path: string, init?: RequestInit) => fetch(`${url}/sandbox${path}`, init);
  return {
    url,
    proc,
    setOpenAIMode: (mode: object) =>
      control('/openai/mode', {
        method: 'PUT',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(mode),
      }),
    streams: async () => (await (await control('/openai/streams')).json()) as StreamStats,
  };
}

/** The service's own p99, in ms, from a reply's first token out of the model's stream to its text on the socket. */
async function forwardSecondsP99(metricsPort: number): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text();
  const seconds = /^voice_first_token_forward_seconds\{quantile="0\.99"\} (\S+)$/m.exec(text)?.[1];
  return round(Number(seconds) * 1_000, 3);
}

/** Every call says its line at once; resolves with when each asked, once every reply has begun. */
async function askAll(calls: Call[]): Promise<number[]> {
  const asked = calls.map((call) => {
    call.texts.length = 0;
    call.textsAtPong = undefined;
    const at = now();
    call.ws.send(JSON.stringify({ type: 'prompt', voicePrompt: PROMPT, lang: 'en-US', last: true }));
    return at;
  });
  await until(() => calls.every((call) => call.texts.length > 0), 'first tokens');
  return asked;
}

/**
 * Sends an interrupt, then a ping. `ws` answers the ping as it reads it, in the same turn of the
 * service's event loop in which the interrupt aborts the reply (or in a later one), so no token can be
 * forwarded in between: any text after the pong was sent after the interrupt was processed.
 */
function interrupt(call: Call): void {
  call.textsAtPong = undefined;
  call.ws.send(JSON.stringify({ type: 'interrupt', utteranceUntilInterrupt: call.texts[0]?.token ?? '' }));
  call.ws.ping();
}

/** Texts of interrupted replies that arrived after their interrupt's pong (see `interrupt`); NaN if a pong is missing. */
const textsAfterPong = (calls: Iterable<Call>) =>
  [...calls].reduce((sum, call) => sum + call.texts.length - (call.textsAtPong ?? Number.NaN), 0);

/** Interrupts each call whose reply still streams, one every INTERRUPT_SPACING_MS; resolves with when each was sent. */
async function interruptEach(candidates: Call[]): Promise<Map<Call, number>> {
  const interruptedAt = new Map<Call, number>();
  for (const call of candidates) {
    // A reply that already ended has no stream left to abort.
    if (call.texts.some((text) => text.last)) continue;
    interruptedAt.set(call, now());
    interrupt(call);
    await pause(INTERRUPT_SPACING_MS);
  }
  return interruptedAt;
}

interface InterruptFigures {
  interrupted: number;
  /** The calls interrupted mid-reply. */
  calls: Call[];
  /** From the interrupt sent to its stream's close seen by the sandbox, in ms; empty when not paired. */
  abortSeenMs: number[];
}

/**
 * Pairs each interrupt with the abort the sandbox saw, in order: close to the truth when interrupts
 * are spaced further apart than an abort takes. Unpaired when the counts differ (an interrupt raced
 * its reply's end).
 */
function interruptFigures(interruptedAt: Map<Call, number>, aborts: { abortedAt: number }[]): InterruptFigures {
  const since = Math.min(...interruptedAt.values());
  const seen = aborts
    .map((abort) => abort.abortedAt)
    .filter((at) => at >= since)
    .sort((a, b) => a - b);
  const calls = [...interruptedAt.keys()];
  if (seen.length !== interruptedAt.size) return { interrupted: interruptedAt.size, calls, abortSeenMs: [] };
  const sent = [...interruptedAt].sort((a, b) => a[1] - b[1]);
  const pairs = sent.map(([call, sentAt], index) => ({ call, sentAt, abortedAt: seen[index] as number }));
  return {
    interrupted: interruptedAt.size,
    calls,
    abortSeenMs: pairs.map(({ sentAt, abortedAt }) => abortedAt - sentAt),
  };
}

/** Calls asked at once in a light round, then interrupted one at a time. */
const LIGHT_BATCH = 10;

/**
 * The light round: the calls ask LIGHT_BATCH at a time, and each is interrupted once the sandbox
 * saw the previous one's stream close, so each abort pairs exactly with its interrupt and the load
 * generator (one process for every caller) is far from saturated.
 */
async function lightRound(calls: Call[], streams: () => Promise<StreamStats>): Promise<InterruptFigures> {
  const figures: InterruptFigures = { interrupted: 0, calls: [], abortSeenMs: [] };
  for (let start = 0; start < calls.length; start += LIGHT_BATCH) {
    const batch = calls.slice(start, start + LIGHT_BATCH);
    await askAll(batch);
    for (const call of batch) {
      if (call.texts.some((text) => text.last)) continue;
      const before = (await streams()).aborted;
      const sentAt = now();
      interrupt(call);
      let seen = await streams();
      const deadline = Date.now() + 2_000;
      while (seen.aborted === before && Date.now() < deadline) seen = await streams();
      // A reply that ended meanwhile had no stream left to abort: that interrupt is not counted.
      const abortedAt = seen.aborted === before ? undefined : seen.aborts.at(-1)?.abortedAt;
      if (abortedAt === undefined) continue;
      figures.interrupted += 1;
      figures.calls.push(call);
      figures.abortSeenMs.push(abortedAt - sentAt);
    }
  }
  return figures;
}

const distribution = (values: number[]) =>
  values.length === 0
    ? undefined
    : {
        p50: round(percentile(values, 50)),
        p90: round(percentile(values, 90)),
        p99: round(percentile(values, 99)),
        max: round(Math.max(...values)),
        count: values.length,
      };

async function voice(): Promise<BenchResult> {
  await buildServices();
  const testDb = await createTestDatabase();
  await testDb.db.destroy();
  const prefix = createTestQueuePrefix();
  const sandbox = await startSandboxProcess(testDb.url);
  const port = await freePort();
  const metricsPort = await freePort();
  const snapshotDir = await mkdtemp(join(tmpdir(), 'voice-bench-'));
  let proc: RunningProcess | undefined;
  const calls: Call[] = [];
  try {
    await sandbox.setOpenAIMode({ firstTokenMs: FIRST_TOKEN_MS, interTokenMs: INTER_TOKEN_MS });
    proc = startProcess(
      COMPILED_ENTRY_POINTS.voice,
      {
        DATABASE_URL: testDb.url,
        QUEUE_PREFIX: prefix,
        VOICE_PORT: String(port),
        VOICE_BOT_PUBLIC_URL: PUBLIC_URL,
        OPENAI_BASE_URL: `${sandbox.url}/v1`,
        VOICE_BOT_IDLE_AFTER: '10m',
        METRICS_PORT: String(metricsPort),
        LOG_LEVEL: 'info',
        NODE_OPTIONS: serviceNodeOptions(),
        ...VOICE_PROCESS_ENV,
      },
      // A heap snapshot on SIGUSR2 collects the garbage first: the live heap is read right after one.
      [...VOICE_NODE_FLAGS, '--heapsnapshot-signal=SIGUSR2', `--diagnostic-dir=${snapshotDir}`],
    );
    await waitForOutput(proc, '"msg":"started"', 60_000);
    await pause(SETTLE_MS);
    const idleRss = await settledRssMb(proc.pid);

    const url = `http://127.0.0.1:${port}`;
    const signature = twilio.getExpectedTwilioSignature(SANDBOX_DEFAULTS.twilioAuthToken, PUBLIC_URL, {});
    for (let n = 0; n < CALLS; n += 1) calls.push(await openCall(url, signature, n));
    // Let every setup load its (empty) caller context before the prompts.
    await pause(2_000);
    const connectedRss = await settledRssMb(proc.pid);
    const sustainedRss = await sustainedConversation(calls, proc.pid);

    // A first round warms up the connections to the model and the code paths; it is not measured.
    await askAll(calls);
    await until(() => calls.every((call) => call.texts.some((text) => text.last)), 'warm-up replies to end');

    // The measured round: every call asks at once; INTERRUPTS of them are interrupted mid-reply.
    const cpuBefore = await cpuMs(proc.pid);
    const asked = await askAll(calls);
    const interruptedAt = await interruptEach(calls.filter((_, n) => n % 2 === 1).slice(0, INTERRUPTS));
    const replied = () => calls.every((call) => interruptedAt.has(call) || call.texts.some((text) => text.last));
    await until(replied, 'uninterrupted replies to end');
    const roundCpuMs = (await cpuMs(proc.pid)) - cpuBefore;
    await pause(1_000);
    const liveRss = await rssMb(proc.pid);
    // Where that RSS is: V8's heap as it stands (garbage included) and memory outside it (buffers).
    const mb = async (name: string) => round((await metric(metricsPort, name)) / 1024 / 1024, 1);
    const beforeCollection = {
      heapTotal: await mb('nodejs_heap_size_total_bytes'),
      heapUsed: await mb('nodejs_heap_size_used_bytes'),
      external: await mb('nodejs_external_memory_bytes'),
    };
    const liveHeap = await liveHeapMb(proc, metricsPort, snapshotDir);
    const loaded = interruptFigures(interruptedAt, (await sandbox.streams()).aborts);
    const firstTextLatency = calls.map((call, n) => (call.texts[0]?.at ?? 0) - (asked[n] ?? 0) - FIRST_TOKEN_MS);

    // Every interrupted reply has ended: nothing more can arrive after a pong.
    const loadedLateTokens = textsAfterPong(interruptedAt.keys());
    const light = [...interruptedAt.keys()];
    const unloaded = await lightRound(light, sandbox.streams);
    const streams = await sandbox.streams();
    const lateTokens = { loaded: loadedLateTokens, light: textsAfterPong(unloaded.calls) };
    const forwardP99 = await forwardSecondsP99(metricsPort);
    const abortMs = async (quantile: string) =>
      round((await metric(metricsPort, `voice_interrupt_abort_seconds{quantile="${quantile}"}`)) * 1_000, 3);
    const serviceAbort = { p50: await abortMs('0.5'), p99: await abortMs('0.99'), max: await abortMs('1') };
    const serviceAborts = await metric(metricsPort, 'voice_interrupt_abort_seconds_count');
    for (const call of calls) call.ws.close();
    // The model's idle keep-alive connections close too before the heap is read without calls.
    await pause(6_000);
    const heapAfterCalls = await liveHeapMb(proc, metricsPort, snapshotDir);
    await directFirstTokens(sandbox.url);
    const direct = await directFirstTokens(sandbox.url);
    const p99Voice = round(percentile(firstTextLatency, 99));
    const p99Direct = round(percentile(direct, 99));
    const added = round(p99Voice - p99Direct);
    const perCallKb = round(((Math.max(...sustainedRss) - idleRss) * 1024) / CALLS, 1);
    const burstKb = round(((liveRss - idleRss) * 1024) / CALLS, 1);
    const connectedKb = round(((connectedRss - idleRss) * 1024) / CALLS, 1);
    const heapPerCallKb = round(((liveHeap - heapAfterCalls) * 1024) / CALLS, 1);
    const seenLoaded = distribution(loaded.abortSeenMs);
    const seenUnloaded = distribution(unloaded.abortSeenMs);
    const seen = (figures: ReturnType<typeof distribution>, interrupts: number) =>
      figures
        ? `p50/p99 ${figures.p50}/${figures.p99} ms over ${figures.count}`
        : `not paired (${interrupts} interrupts)`;
    return {
      name: 'voice',
      goals: [
        {
          goal: `added latency (first text out − first token in) p99 ≤ 5 ms at ${CALLS} calls`,
          value: `${forwardP99} ms inside the service; end to end ${added} ms (first text ${p99Voice} ms after the model's ${FIRST_TOKEN_MS} ms, the sandbox asked directly ${p99Direct} ms)`,
          // The goal is the service's own share; end to end, the load generator and the sandbox share its two cores.
          met: forwardP99 <= 5,
        },
        {
          goal: '0 tokens after an interrupt is processed',
          value: `${lateTokens.loaded} at ${CALLS} calls, ${lateTokens.light} in the light round (sandbox: ${streams.tokensAfterAbort} written after an abort)`,
          met: lateTokens.loaded === 0 && lateTokens.light === 0 && streams.tokensAfterAbort === 0,
        },
        {
          goal: 'model stream aborted within 5 ms of the interrupt being processed (p99)',
          value: `${serviceAbort.p99} ms inside the service (p50 ${serviceAbort.p50}, max ${serviceAbort.max} ms, ${serviceAborts} interrupts); sent → the sandbox saw the stream close: at ${CALLS} calls (paired in order) ${seen(seenLoaded, loaded.interrupted)}; ${LIGHT_BATCH} calls streaming, paired exactly, ${seen(seenUnloaded, unloaded.interrupted)}`,
          met: serviceAbort.p99 <= 5,
        },
        {
          goal: '≤ 100 KB per live call',
          value: `${perCallKb} KB at the RSS peak of ${CALLS} calls conversing (a turn every ${TURN_EVERY_MS / 1_000} s each, ${SUSTAINED_MS / 1_000} s); ${connectedKb} KB connected and set up; ${burstKb} KB right after all ${CALLS} replied at once; live heap ${heapPerCallKb} KB`,
          met: perCallKb <= 100,
        },
        { goal: 'idle RSS ≤ 100 MB', value: `${round(idleRss, 1)} MB`, met: idleRss <= 100 },
      ],
      figures: {
        calls: CALLS,
        firstTokenMs: FIRST_TOKEN_MS,
        interTokenMs: INTER_TOKEN_MS,
        firstTokenForwardP99Ms: forwardP99,
        serviceCpuMsPerReply: round(roundCpuMs / CALLS, 2),
        firstTextAfterModelMs: { p50: round(percentile(firstTextLatency, 50)), p99: p99Voice },
        sandboxAloneMs: { p50: round(percentile(direct, 50)), p99: p99Direct },
        interruptAbortInServiceMs: { ...serviceAbort, count: serviceAborts },
        abortSeenAfterInterruptMs: { loaded: seenLoaded, light: seenUnloaded },
        interrupted: { loaded: loaded.interrupted, light: unloaded.interrupted },
        lateTokens,
        rssMb: {
          idle: round(idleRss, 1),
          connected: round(connectedRss, 1),
          sustained: { max: round(Math.max(...sustainedRss), 1), p50: round(percentile(sustainedRss, 50), 1) },
          afterBurst: round(liveRss, 1),
        },
        heapUsedMb: { live: round(liveHeap, 1), afterCalls: round(heapAfterCalls, 1) },
        liveBeforeCollectionMb: beforeCollection,
        perCallKb: { rss: perCallKb, rssConnected: connectedKb, rssAfterBurst: burstKb, heap: heapPerCallKb },
        latency: [{ label: 'voice first text − model', p50: round(percentile(firstTextLatency, 50)), p99: p99Voice }],
      },
    };
  } finally {
    for (const call of calls) call.ws.terminate();
    await proc?.stop();
    await sandbox.proc.stop();
    await rm(snapshotDir, { recursive: true, force: true });
    await deleteQueuePrefix(prefix);
    await testDb.drop();
  }
}

export const benchmarks = { voice };
