import { type ConfigOf, type ConfigSectionName, loadConfigOrExit } from './load-config.ts';

/**
 * `npm start`, `npm run demo` and the helper commands on a developer machine: with no Twilio
 * account and no production flag, sandbox mode is asked for on the developer's behalf (SANDBOX=1),
 * for this process and every process it starts, and an unset PUBLIC_BASE_URL follows PORT, so a
 * stack moved to another port still receives its own callbacks. Anywhere else sandbox mode is only
 * ever set explicitly.
 */
export function withDeveloperSandbox(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const developerMachine = env.NODE_ENV !== 'production' && !env.TWILIO_ACCOUNT_SID;
  if (!developerMachine) return env;
  return {
    ...env,
    SANDBOX: env.SANDBOX ?? '1',
    PUBLIC_BASE_URL: env.PUBLIC_BASE_URL ?? `http://127.0.0.1:${env.PORT ?? '3000'}`,
  };
}

/**
 * The configuration of a command a person runs (`npm run users`, `jobs`, `summarize`): its mode
 * decided as `npm start` decides it, and its log lines kept to warnings unless LOG_LEVEL asks for
 * more, so that what it prints is for people. Exits with one line per problem, as services do.
 */
export function loadCommandConfig<S extends ConfigSectionName>(
  sections: readonly S[],
  env: NodeJS.ProcessEnv = process.env,
): ConfigOf<S> {
  return loadConfigOrExit(sections, withDeveloperSandbox({ LOG_LEVEL: 'warn', ...env }));
}
