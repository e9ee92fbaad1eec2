import { fileURLToPath } from 'node:url';
import type { Config } from '@series-killer/shared';
import type { StackPort } from './busy-ports.ts';
import { type LocalCredentials, localCredentials } from './local-credentials.ts';
import type { ProcessSpec } from './supervisor.ts';

const entry = (path: string) => fileURLToPath(new URL(`../../${path}`, import.meta.url));

/** The TypeScript entry points, run as they are (development, tests). */
export const ENTRY_POINTS = {
  sandbox: entry('packages/sandbox/src/main.ts'),
  ingress: entry('services/ingress/src/main.ts'),
  sms: entry('services/sms/src/main.ts'),
  onboarding: entry('services/onboarding/src/main.ts'),
  summarizer: entry('services/summarizer/src/main.ts'),
  voice: entry('services/voice/src/main.ts'),
} as const;

/** The same entry points compiled by `npm run build`: what `npm start` and production run. */
export const COMPILED_ENTRY_POINTS = {
  sandbox: entry('packages/sandbox/dist/main.js'),
  ingress: entry('services/ingress/dist/main.js'),
  sms: entry('services/sms/dist/main.js'),
  onboarding: entry('services/onboarding/dist/main.js'),
  summarizer: entry('services/summarizer/dist/main.js'),
  voice: entry('services/voice/dist/main.js'),
} as const;

/**
 * Node options of every compiled service process, appended to the operator's own.
 * - The `series-killer-dist` condition makes the workspace packages resolve to their compiled
 *   JavaScript too; run as TypeScript, each process would also load Node's type stripper (~20 MB).
 * - An idle service keeps the young generation V8 grew while it loaded its modules (tens of MB
 *   each); capping it at 2 MB per semi-space keeps idle processes small, and the workers allocate
 *   little per job. The ingress raises the cap (`INGRESS_NODE_FLAGS`).
 */
export function serviceNodeOptions(env: NodeJS.ProcessEnv = process.env): string {
  return [env.NODE_OPTIONS, '--conditions=series-killer-dist', '--max-semi-space-size=2'].filter(Boolean).join(' ');
}

/**
 * Node flags of every worker process (V8 flags, which NODE_OPTIONS does not take). A worker waits
 * on Postgres, Twilio or OpenAI rather than on its own CPU, so V8 is told to favour memory over
 * speed (its heap grows later and stays smaller) and to keep one helper thread instead of four
 * (each holds memory of its own): together about 7 MB less idle RSS a worker. The ingress,
 * which answers Twilio on the CPU it has, runs without them.
 */
export const WORKER_NODE_FLAGS = ['--optimize-for-size', '--v8-pool-size=1'];

/**
 * Node flags of the ingress, which allocates about 26 KB per webhook: with 2 MB semi-spaces V8
 * scavenged some 150 times a second at full speed, a sixth of the ingress's time; 6 MB needs a
 * third of those scavenges. 8 MB was no faster in the same benchmark and held 1–10 MB more
 * under load; 16 MB also costs another 15 MB idle. A 512 MB old generation, more than ten times
 * what the ingress holds live under load (about 40 MB): with a limit that low V8 lets the heap
 * grow to about 1.4× its live size between full collections instead of up to 4× (measured: at
 * most 58 MB before a mark-compact, against 148 MB and an RSS of 250 MB without it). One V8 helper thread instead of
 * four: on two cores the others only wait for a core the event loop needs, and each holds memory
 * of its own.
 */
export const INGRESS_NODE_FLAGS = ['--max-semi-space-size=6', '--max-old-space-size=512', '--v8-pool-size=1'];

/**
 * Node flags of the voice service. Every live call streams its replies a token at a time, and with
 * hundreds of calls the objects each waiting stream holds outlive the young generation's scavenges
 * and are promoted: the old generation fills with garbage (180 MB, 45 MB of it live, right after
 * 500 calls replied at once). Letting the heap grow by 20% between full collections, instead of
 * V8's 1.5–4×, collects it sooner: at 500 calls conversing, 82–86 KB of RSS a call instead of
 * 104–134, for about a third more CPU per reply. Larger semi-spaces (4 MB) were no better under
 * that load and cost idle RSS. One V8 helper thread instead of four, as the ingress (on two cores
 * the others only wait for a core the event loop needs, and each holds memory of its own).
 */
export const VOICE_NODE_FLAGS = ['--heap-growing-percent=20', '--v8-pool-size=1'];

/**
 * Environment of the voice service's process: glibc maps allocations of 32 KB and more on their own
 * pages. Node reads each socket into a 64 KB buffer and keeps only what arrived; taken from the
 * malloc heap, the small remains of a thousand sockets reading a token at a time pinned the space
 * around them, 30 MB of RSS that stayed while the calls lasted. Mapped, each is returned whole.
 */
export const VOICE_PROCESS_ENV = { MALLOC_MMAP_THRESHOLD_: '32768' };

/**
 * Settings `npm start` fills in for local use when they are unset, in sandbox mode only, from the
 * credentials kept between starts. Outside it, unset means disabled: nothing is served that the
 * operator did not set up.
 */
export function localSecrets(
  config: Config,
  credentials: () => LocalCredentials = localCredentials,
): Record<string, string> {
  const generated: Record<string, string> = {};
  if (!config.sandbox.enabled) return generated;
  const saved = credentials();
  if (!config.dashboard) {
    generated.DASHBOARD_USER = saved.DASHBOARD_USER;
    generated.DASHBOARD_PASSWORD = saved.DASHBOARD_PASSWORD;
  }
  if (!config.internalApi.token) generated.INTERNAL_API_TOKEN = saved.INTERNAL_API_TOKEN;
  return generated;
}

/** Every process of the stack, compiled (see buildServices): the sandbox in sandbox mode, the ingress, each worker × replicas and the voice service. */
export function stackProcesses(config: Config, stackEnv: Record<string, string>): ProcessSpec[] {
  const env = { ...stackEnv, NODE_OPTIONS: serviceNodeOptions() };
  const specs: ProcessSpec[] = [];
  if (config.sandbox.enabled) specs.push({ name: 'sandbox', entry: COMPILED_ENTRY_POINTS.sandbox, env });
  // The ingress and each worker process serve their metrics on a port of their own, counting up from METRICS_PORT.
  let metricsPort = config.stack.firstMetricsPort;
  const ownMetrics = (): Record<string, string> =>
    metricsPort === undefined ? {} : { METRICS_PORT: String(metricsPort++) };
  specs.push({
    name: 'ingress',
    entry: COMPILED_ENTRY_POINTS.ingress,
    nodeArgs: INGRESS_NODE_FLAGS,
    env: { ...env, ...ownMetrics() },
  });
  for (const worker of ['sms', 'onboarding', 'summarizer'] as const) {
    for (let replica = 1; replica <= config.stack.workerReplicas; replica += 1) {
      const name = config.stack.workerReplicas === 1 ? worker : `${worker}-${replica}`;
      specs.push({
        name,
        entry: COMPILED_ENTRY_POINTS[worker],
        nodeArgs: WORKER_NODE_FLAGS,
        env: { ...env, ...ownMetrics() },
      });
    }
  }
  // One voice process: a live call stays with the process that holds its socket. It also places the
  // outbound calls, so it runs when our bot is off too (its relay then serves nobody).
  specs.push({
    name: 'voice',
    entry: COMPILED_ENTRY_POINTS.voice,
    nodeArgs: VOICE_NODE_FLAGS,
    env: { ...env, ...VOICE_PROCESS_ENV, ...ownMetrics() },
  });
  return specs;
}

/** The ports the stack's processes listen on: the ingress, the sandbox in sandbox mode, the voice bot, each process's metrics. */
export function stackPorts(config: Config, processes: ProcessSpec[]): StackPort[] {
  const ports: StackPort[] = [{ port: config.http.port, what: 'the ingress (PORT)' }];
  if (config.sandbox.enabled) ports.push({ port: config.sandbox.port, what: 'the sandbox (SANDBOX_PORT)' });
  if (processes.some((spec) => spec.name === 'voice'))
    ports.push({ port: config.voiceBot.port, what: 'the voice bot (VOICE_PORT)' });
  for (const spec of processes) {
    const metricsPort = spec.env?.METRICS_PORT;
    if (metricsPort) ports.push({ port: Number(metricsPort), what: `the metrics of ${spec.name} (METRICS_PORT)` });
  }
  return ports;
}
