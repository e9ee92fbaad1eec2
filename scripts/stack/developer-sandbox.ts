/**
 * `npm start` and `npm run demo` on a developer machine: with no Twilio account and no
 * production flag, sandbox mode is asked for on the developer's behalf (SANDBOX=1), for this
 * process and every process it starts. Anywhere else sandbox mode is only ever set explicitly.
 */
export function withDeveloperSandbox(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const developerMachine = env.NODE_ENV !== 'production' && !env.TWILIO_ACCOUNT_SID;
  return developerMachine && !env.SANDBOX ? { ...env, SANDBOX: '1' } : env;
}
