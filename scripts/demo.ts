// npm run demo — starts the stack on its defaults (or uses one already running), plays the
// whole product through real signed webhooks from the sandbox, prints the resulting rows,
// and exits 0; non-zero naming the step that failed and what it waited for.
import { ConfigError, createDb, loadConfig, runMigrations, withDeveloperSandbox } from '@series-killer/shared';
import { playDemo } from './demo/demo-scenario.ts';
import { waitUntil } from './demo/wait-until.ts';
import { BuildError, buildServices } from './stack/build-services.ts';
import { readLocalCredentials } from './stack/local-credentials.ts';
import { checkBackingServices } from './stack/preflight.ts';
import { localSecrets, stackProcesses } from './stack/stack-processes.ts';
import { stopOnSignals } from './stack/stop-on-signals.ts';
import { type Supervisor, superviseProcesses } from './stack/supervisor.ts';

const say = (line: string) => process.stdout.write(`${line}\n`);

async function answers(url: string): Promise<boolean> {
  try {
    return (await fetch(url, { signal: AbortSignal.timeout(1_000) })).ok;
  } catch {
    return false;
  }
}

async function main(): Promise<number> {
  // Set here so that the children, which inherit this environment, run in the same mode.
  process.env = withDeveloperSandbox(process.env);
  const config = loadConfig();
  if (!config.sandbox.enabled) {
    say(
      'The demo plays through the local sandbox: run it with SANDBOX=1, or without TWILIO_ACCOUNT_SID and NODE_ENV=production.',
    );
    return 1;
  }
  let supervisor: Supervisor | undefined;
  let token = process.env.INTERNAL_API_TOKEN ?? config.internalApi.token ?? readLocalCredentials().INTERNAL_API_TOKEN;

  if (await answers(`${config.http.publicBaseUrl}/readyz`)) {
    say(`Using the stack already running at ${config.http.publicBaseUrl}`);
    if (!token) {
      say('Set INTERNAL_API_TOKEN to the internal API token that stack uses, or stop that stack first.');
      return 1;
    }
  } else {
    const problems = await checkBackingServices(config);
    if (problems.length > 0) {
      for (const problem of problems) say(problem);
      return 1;
    }
    await runMigrations(config.database.directUrl);
    say('Compiling the services (npm run build)…');
    await buildServices();
    const secrets: Record<string, string> = { ...localSecrets(config), LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn' };
    token = secrets.INTERNAL_API_TOKEN ?? token;
    say('Starting the stack (sandbox mode)…');
    const running = superviseProcesses(stackProcesses(config, secrets), say);
    supervisor = running;
    // Interrupted: the stack it started goes too. Exit code 130, as a shell reports an interrupted command.
    stopOnSignals(
      async (reason) => {
        say(`${reason}: stopping the demo's stack…`);
        await running.stop();
      },
      () => 130,
    );
    await waitUntil('the ingress to be ready (/readyz)', () => answers(`${config.http.publicBaseUrl}/readyz`), 60_000);
    await waitUntil('the sandbox to answer', () => answers(`${config.sandbox.baseUrl}/sandbox/`), 30_000);
  }

  const db = createDb({ url: config.database.url, poolSize: 2 }, 'series-killer-demo');
  try {
    await playDemo({ config, db, internalApiToken: token as string, say });
    say('\nDemo complete.');
    return 0;
  } catch (error) {
    say(`\nDemo failed: ${(error as Error).message}`);
    return 1;
  } finally {
    await db.destroy();
    await supervisor?.stop();
  }
}

try {
  process.exitCode = await main();
} catch (error) {
  if (!(error instanceof ConfigError || error instanceof BuildError)) throw error;
  say(error.message);
  process.exitCode = 1;
}
