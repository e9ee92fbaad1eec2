import { runService, SERVICE_CONFIG_SECTIONS } from '@series-killer/shared';
import { startSandbox } from './sandbox.ts';

await runService('sandbox', SERVICE_CONFIG_SECTIONS.sandbox, async (config, logger) => {
  const sandbox = await startSandbox({
    host: config.sandbox.host,
    port: config.sandbox.port,
    accountSid: config.twilio.accountSid,
    authToken: config.twilio.authToken,
    ingressBaseUrl: config.http.publicBaseUrl,
    databaseUrl: config.database.url,
    supabaseServiceRoleKey: config.supabase?.serviceRoleKey,
    logger,
  });
  const urls = sandbox.urls();
  logger.info(
    { twilio: urls.twilio, openai: urls.openai, supabase: urls.supabase, control: urls.control, ingress: urls.ingress },
    `sandbox ready: TWILIO_API_BASE_URL=${urls.twilio} OPENAI_BASE_URL=${urls.openai} SUPABASE_URL=${urls.supabase} control=${urls.control}`,
  );
  return sandbox;
});
