// The voice bot: concurrent conversations through real WebSockets against the sandbox's streamed
// model (first token after 300 ms, then one every 20 ms), the voice service run as `npm start` runs it.
import { readFile } from 'node:fs/promises';
import { SANDBOX_DEFAULTS, VOICE_RELAY_PATH } from '@series-killer/shared';
import { createTestDatabase, createTestQueuePrefix, deleteQueuePrefix, freePort } from '@series-killer/shared/testing';
import OpenAI from 'openai';
import twilio from 'twilio';
import { WebSocket } from 'ws';
import { buildServices } from '../scripts/stack/build-services.ts';
import { COMPILED_ENTRY_POINTS, serviceNodeOptions, VOICE_NODE_FLAGS } from '../scripts/stack/stack-processes.ts';
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
/** Calls interrupted one after another, each once the previous stream's abort was seen. */
const INTERRUPTS = 20;

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
/** Epoch milliseconds with sub-millisecond precision, the clock the sandbox stamps aborts with. */
const now = () => performance.timeOrigin + performance.now();

async function rssMb(pid: number): Promise<number> {
  const rollup = await readFile(`/proc/${pid}/smaps_rollup`, 'utf8');
  return Number(/^Rss:\s+(\d+) kB$/m.exec(rollup)?.[1]) / 1024;
}

interface Call {
  ws: WebSocket;
  /** Every text token with when it arrived. */
  texts: { token: string; last: boolean; at: number }[];
}

async function openCall(url: string, signature: string, n: number): Promise<Call> {
  const ws = new WebSocket(`${url.replace(/^http/, 'ws')}${VOICE_RELAY_PATH}`, {
    headers: { 'X-Twilio-Signature': signature },
  });
  const call: Call = { ws, texts: [] };
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
    const at = now();
    call.ws.send(JSON.stringify({ type: 'prompt', voicePrompt: PROMPT, lang: 'en-US', last: true }));
    return at;
  });
  await until(() => calls.every((call) => call.texts.length > 0), 'first tokens');
  return asked;
}

async function voice(): Promise<BenchResult> {
  await buildServices();
  const testDb = await createTestDatabase();
  await testDb.db.destroy();
  const prefix = createTestQueuePrefix();
  const sandbox = await startSandboxProcess(testDb.url);
  const port = await freePort();
  const metricsPort = await freePort();
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
      },
      VOICE_NODE_FLAGS,
    );
    await waitForOutput(proc, '"msg":"started"', 60_000);
    await pause(3_000);
    const idleRss = await rssMb(proc.pid);

    const url = `http://127.0.0.1:${port}`;
    const signature = twilio.getExpectedTwilioSignature(SANDBOX_DEFAULTS.twilioAuthToken, PUBLIC_URL, {});
    for (let n = 0; n < CALLS; n += 1) calls.push(await openCall(url, signature, n));
    // Let every setup load its (empty) caller context before the prompts.
    await pause(2_000);

    // A first round warms up the connections to the model and the code paths; it is not measured.
    await askAll(calls);
    await until(() => calls.every((call) => call.texts.some((text) => text.last)), 'warm-up replies to end');

    // The measured round: every call asks at once; half interrupt, one call every 10 ms, once their reply has begun.
    const asked = await askAll(calls);
    // Interrupts one at a time, each once the sandbox has seen the previous stream aborted, so every
    // abort pairs with its interrupt.
    const interruptedAt = new Map<number, number>();
    const abortAfterInterrupt: number[] = [];
    const abortedAtOf = new Map<number, number>();
    for (let n = 1; n < CALLS && interruptedAt.size < INTERRUPTS; n += 2) {
      const call = calls[n] as Call;
      if (call.texts.some((text) => text.last)) continue;
      const before = (await sandbox.streams()).aborted;
      const at = now();
      interruptedAt.set(n, at);
      call.ws.send(JSON.stringify({ type: 'interrupt', utteranceUntilInterrupt: call.texts[0]?.token ?? '' }));
      // A reply that ended meanwhile has no stream left to abort: that interrupt is not counted.
      const deadline = Date.now() + 2_000;
      let streams = await sandbox.streams();
      while (streams.aborted === before && Date.now() < deadline) {
        await pause(2);
        streams = await sandbox.streams();
      }
      if (streams.aborted === before) {
        interruptedAt.delete(n);
        continue;
      }
      const abortedAt = streams.aborts.at(-1)?.abortedAt ?? at;
      abortedAtOf.set(n, abortedAt);
      abortAfterInterrupt.push(abortedAt - at);
    }
    await until(
      () => calls.every((call, n) => interruptedAt.has(n) || call.texts.some((text) => text.last)),
      'uninterrupted replies to end',
    );
    await pause(1_000);
    const liveRss = await rssMb(proc.pid);

    const firstTextLatency = calls.map((call, n) => (call.texts[0]?.at ?? 0) - (asked[n] ?? 0) - FIRST_TOKEN_MS);
    // The service aborts the model's stream when it processes the interrupt: a token that reached the
    // caller more than 5 ms after the model saw that abort was sent after the interrupt was processed.
    const lateTokens = [...abortedAtOf].reduce(
      (sum, [n, abortedAt]) => sum + (calls[n]?.texts.filter((text) => text.at > abortedAt + 5).length ?? 0),
      0,
    );
    const streams = await sandbox.streams();
    const forwardP99 = await forwardSecondsP99(metricsPort);
    for (const call of calls) call.ws.close();
    await pause(1_000);
    await directFirstTokens(sandbox.url);
    const direct = await directFirstTokens(sandbox.url);
    const p99Voice = round(percentile(firstTextLatency, 99));
    const p99Direct = round(percentile(direct, 99));
    const added = round(p99Voice - p99Direct);
    const perCallKb = round(((liveRss - idleRss) * 1024) / CALLS, 1);
    const abortP99 = round(percentile(abortAfterInterrupt, 99));
    return {
      name: 'voice',
      goals: [
        {
          goal: `added latency (first text out − first token in) p99 ≤ 5 ms at ${CALLS} calls`,
          value: `${forwardP99} ms inside the service; end to end ${added} ms (first text ${p99Voice} ms after the model's ${FIRST_TOKEN_MS} ms, the sandbox asked directly ${p99Direct} ms)`,
          met: forwardP99 <= 5 && added <= 5,
        },
        {
          goal: '0 tokens after an interrupt is processed',
          value: `${lateTokens} (sandbox: ${streams.tokensAfterAbort})`,
          met: lateTokens === 0 && streams.tokensAfterAbort === 0,
        },
        {
          goal: 'model stream aborted within 5 ms of the interrupt (p99)',
          value: `${abortP99} ms`,
          met: abortP99 <= 5,
        },
        { goal: '≤ 100 KB per live call', value: `${perCallKb} KB`, met: perCallKb <= 100 },
        { goal: 'idle RSS ≤ 100 MB', value: `${round(idleRss, 1)} MB`, met: idleRss <= 100 },
      ],
      figures: {
        calls: CALLS,
        firstTokenMs: FIRST_TOKEN_MS,
        interTokenMs: INTER_TOKEN_MS,
        firstTokenForwardP99Ms: forwardP99,
        firstTextAfterModelMs: { p50: round(percentile(firstTextLatency, 50)), p99: p99Voice },
        sandboxAloneMs: { p50: round(percentile(direct, 50)), p99: p99Direct },
        abortAfterInterruptMs: {
          p50: round(percentile(abortAfterInterrupt, 50)),
          p99: abortP99,
          count: abortAfterInterrupt.length,
        },
        interrupted: interruptedAt.size,
        lateTokens,
        rssMb: { idle: round(idleRss, 1), live: round(liveRss, 1) },
        latency: [{ label: 'voice first text − model', p50: round(percentile(firstTextLatency, 50)), p99: p99Voice }],
      },
    };
  } finally {
    for (const call of calls) call.ws.terminate();
    await proc?.stop();
    await sandbox.proc.stop();
    await deleteQueuePrefix(prefix);
    await testDb.drop();
  }
}

export const benchmarks = { voice };
