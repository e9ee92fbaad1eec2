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
