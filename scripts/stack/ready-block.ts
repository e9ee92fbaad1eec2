import { relative } from 'node:path';
import type { Config } from '@series-killer/shared';
import { LOCAL_CREDENTIALS_FILE } from './local-credentials.ts';

/** Where this machine reaches the ingress, whatever interface it listens on. */
export function localIngressUrl(config: Config): string {
  const host = config.http.host === '0.0.0.0' || config.http.host === '::' ? '127.0.0.1' : config.http.host;
  return `http://${host.includes(':') ? `[${host}]` : host}:${config.http.port}`;
}

/** What `npm start` prints once the stack answers: where it is, how to get in, three things to try. */
export function readyBlock(config: Config, secrets: Record<string, string>): string[] {
  const ingress = localIngressUrl(config);
  const token = secrets.INTERNAL_API_TOKEN ?? (config.internalApi.token ? '$INTERNAL_API_TOKEN' : undefined);
  const lines = [
    '',
    `Series Killer is ready${config.sandbox.enabled ? ' (sandbox mode: no real SMS is sent, no real model is called)' : ''}.`,
    `  Ingress: ${ingress}  (Twilio webhooks, /api, /healthz, /readyz)`,
  ];
  if (config.http.publicBaseUrl !== ingress) lines.push(`  Twilio reaches it at: ${config.http.publicBaseUrl}`);
  if (secrets.DASHBOARD_PASSWORD)
    lines.push(
      `  Queue dashboard: ${ingress}/admin/queues  user ${secrets.DASHBOARD_USER}  password ${secrets.DASHBOARD_PASSWORD}`,
    );
  if (secrets.INTERNAL_API_TOKEN)
    lines.push(
      `  Internal API token: ${secrets.INTERNAL_API_TOKEN}  (kept in ${relative(process.cwd(), LOCAL_CREDENTIALS_FILE)})`,
    );
  if (config.voice.bot && !config.voice.botWsUrl) lines.push(`  Voice bot: ${config.voice.botPublicUrl}`);
  if (config.sandbox.enabled)
    lines.push(`  Sandbox: ${config.sandbox.baseUrl}/sandbox/  (what was texted, drivers, switches)`);
  lines.push('Try:', '  npm run demo');
  if (token)
    lines.push(
      `  curl -X POST ${ingress}/api/users -H 'Authorization: Bearer ${token}' -H 'Content-Type: application/json' -d '{"phone":"+14155550100","firstName":"Ada","lastName":"Lovelace"}'`,
    );
  if (config.sandbox.enabled) {
    lines.push(`  curl ${config.sandbox.baseUrl}/sandbox/messages`);
    lines.push(
      `  curl -X POST ${config.sandbox.baseUrl}/sandbox/calls -H 'Content-Type: application/json' -d '{"from":"+14155550100","to":"${config.twilio.fromNumber ?? '+15005550006'}","lines":["Hello, what can you do?","Goodbye"]}'`,
    );
  }
  lines.push('Stop it with Ctrl-C, or kill -TERM the npm process.');
  return lines;
}
