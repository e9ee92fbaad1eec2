// npm run calls -- place|list|cancel … — outbound calls through the ingress's internal API.
import { parseArgs } from 'node:util';
import { loadConfigOrExit } from '@series-killer/shared';

const USAGE = `usage: npm run calls -- <command>
  place <userId|+E164> [--purpose TEXT] [--at ISO-TIME] [--key IDEMPOTENCY-KEY]
      ask Series Killer to call a verified user (now, or at the first moment inside the calling
      hours at or after --at); the same --key twice is the same call
  list [--limit N]
      the latest calls asked for, newest first
  cancel <callId>
      cancel a call not yet placed
Talks to the ingress at PUBLIC_BASE_URL with INTERNAL_API_TOKEN (npm start prints it).`;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

const { positionals, values } = parseArgs({
  allowPositionals: true,
  options: {
    purpose: { type: 'string' },
    at: { type: 'string' },
    key: { type: 'string' },
    limit: { type: 'string', default: '20' },
  },
});
const [command, argument] = positionals;

const config = loadConfigOrExit(['http', 'internalApi']);
if (!config.internalApi.token) {
  console.error('INTERNAL_API_TOKEN is unset: set it to the token the ingress runs with');
  process.exit(2);
}

async function call(method: string, path: string, body?: unknown): Promise<{ status: number; json: unknown }> {
  const response = await fetch(config.http.publicBaseUrl + path, {
    method,
    headers: { Authorization: `Bearer ${config.internalApi.token}`, 'Content-Type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await response.text();
  return { status: response.status, json: text ? (JSON.parse(text) as unknown) : undefined };
}

function fail(status: number, json: unknown): never {
  const { error, errors } = (json ?? {}) as { error?: string; errors?: Record<string, string> };
  console.error(`refused (${status}): ${error ?? 'no reason given'}`);
  for (const [field, problem] of Object.entries(errors ?? {})) console.error(`  ${field} ${problem}`);
  process.exit(1);
}

interface CallView {
  id: string;
  status: string;
  attempt: number;
  notBefore: string;
  purpose: string | null;
  callSid: string | null;
}

if (command === 'place' && argument) {
  const who = UUID.test(argument) ? { userId: argument } : { phone: argument };
  const { status, json } = await call('POST', '/api/calls', {
    ...who,
    purpose: values.purpose,
    at: values.at,
    idempotencyKey: values.key,
  });
  if (status !== 202) fail(status, json);
  const { id, notBefore } = json as { id: string; notBefore: string };
  console.log(`call ${id} scheduled; it may ring from ${notBefore}`);
} else if (command === 'list') {
  const { status, json } = await call('GET', `/api/calls?limit=${encodeURIComponent(values.limit ?? '20')}`);
  if (status !== 200) fail(status, json);
  for (const c of (json as { calls: CallView[] }).calls)
    console.log(
      `${c.id}  ${c.status.padEnd(10)} attempt ${c.attempt}  from ${c.notBefore}  ${c.callSid ?? '-'}  ${c.purpose ?? ''}`,
    );
} else if (command === 'cancel' && argument) {
  const { status, json } = await call('DELETE', `/api/calls/${encodeURIComponent(argument)}`);
  if (status !== 204) fail(status, json);
  console.log(`call ${argument} canceled`);
} else {
  console.error(USAGE);
  process.exit(2);
}
