// npm start — validates config, checks Postgres and Redis, migrates, compiles the services (when
// their sources changed), then runs the sandbox (in sandbox mode), the ingress and every worker
// as supervised child processes.
import { setTimeout as sleep } from 'node:timers/promises';
import { CONFIG_SECTION_NAMES, loadConfigOrExit, runMigrations, withDeveloperSandbox } from '@series-killer/shared';
import { buildServices } from './stack/build-services.ts';
import { busyPorts, PORTS_HINT } from './stack/busy-ports.ts';
import { checkBackingServices } from './stack/preflight.ts';
import { localIngressUrl, readyBlock } from './stack/ready-block.ts';
import { localSecrets, stackPorts, stackProcesses } from './stack/stack-processes.ts';
import { stopOnSignals } from './stack/stop-on-signals.ts';
import { superviseProcesses } from './stack/supervisor.ts';
import { waitUntilReady } from './stack/wait-until-ready.ts';

/** How long the stack gets to answer /readyz before `npm start` says it has not. */
const READY_WITHIN_MS = 120_000;

const say = (line: string) => process.stdout.write(`${line}\n`);

// Set here so that the children, which inherit this environment, run in the same mode.
process.env = withDeveloperSandbox(process.env);
const config = loadConfigOrExit(CONFIG_SECTION_NAMES);
const secrets = localSecrets(config);
const processes = stackProcesses(config, secrets);
const busy = await busyPorts(stackPorts(config, processes));
if (busy.length > 0) {
  for (const line of busy) console.error(line);
  console.error(PORTS_HINT);
  process.exit(1);
}
const problems = await checkBackingServices(config);
if (problems.length > 0) {
  for (const problem of problems) console.error(problem);
  process.exit(1);
}

await runMigrations(config.database.directUrl, { log: (line) => say(`[migrate] ${line}`) });
say('[build] compiling the services to JavaScript (npm run build)…');
await buildServices().catch((error: Error) => {
  console.error(error.message);
  process.exit(1);
});

// Once here for every process: the services the supervisor starts leave their copies of these at debug.
for (const warning of config.warnings) say(`warning: ${warning}`);
const supervisor = superviseProcesses(processes, say);
stopOnSignals(async (reason) => {
  say(`${reason}: stopping every process…`);
  await supervisor.stop();
  say('stopped');
});

// The URLs, credentials and first commands come last, once the stack answers, where a reader looks.
const everyProcessStarted = await Promise.race([
  supervisor.allStarted().then(() => true),
  sleep(READY_WITHIN_MS).then(() => false),
]);
const ready = everyProcessStarted && (await waitUntilReady(`${localIngressUrl(config)}/readyz`, READY_WITHIN_MS));
if (ready) for (const line of readyBlock(config, secrets)) say(line);
else
  say(
    `The stack did not start and answer ${localIngressUrl(config)}/readyz within ${READY_WITHIN_MS / 1000} s: see the lines above.`,
  );
