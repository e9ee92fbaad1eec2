// npm run users -- delete <userId|+E164> [--redact-at-twilio]
import { parseArgs } from 'node:util';
import { authUsersFor, type ErasureTarget, eraseUser, UnknownUserError } from '@series-killer/ingress/erasure';
import {
  closeQueues,
  createDb,
  createLogger,
  createQueues,
  createRedisConnection,
  loadCommandConfig,
  maskPhone,
  toE164,
} from '@series-killer/shared';
import { createTwilioClient } from '@series-killer/shared/twilio';
import {
  createTwilioMessageRedactor,
  RedactionInterruptedError,
  redactMessageBodies,
} from '@series-killer/sms/redaction';

const USAGE = `usage: npm run users -- <command>
  delete <userId|+E164> [--redact-at-twilio]
      erase the user everywhere: their rows in every table, their jobs in the queues, their auth user
      (a STOP of their number is kept, without their id); with --redact-at-twilio also empty the
      bodies Twilio keeps of their messages. Safe to run again: a rerun finishes what a crash left.`;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function targetOf(value: string | undefined): ErasureTarget | undefined {
  if (value === undefined) return undefined;
  if (UUID.test(value)) return { userId: value };
  const phoneNumber = toE164(value);
  return phoneNumber === undefined ? undefined : { phoneNumber };
}

const { positionals, values } = parseArgs({
  allowPositionals: true,
  options: { 'redact-at-twilio': { type: 'boolean', default: false } },
});
const [command, who] = positionals;
const target = targetOf(who);
if (command !== 'delete' || target === undefined) {
  console.error(who !== undefined && target === undefined ? `"${who}" is neither a user id nor a phone number` : USAGE);
  process.exit(2);
}

const config = loadCommandConfig(['database', 'redis', 'twilio', 'supabase']);
const logger = createLogger('users', config.logLevel);
const db = createDb({ url: config.database.url, poolSize: 2 }, 'series-killer-users');
const connection = createRedisConnection(config.redis, 'worker');
const queues = createQueues(connection, config.redis, logger);
const redactAtTwilio = values['redact-at-twilio'];

try {
  const report = await eraseUser({ db, queues, authUsers: await authUsersFor(config, db), logger }, target, {
    redactAtTwilio,
  });
  console.log(
    `user ${report.userId} erased (erasure ${report.erasureId}, completed ${report.completedAt.toISOString()})`,
  );
  for (const [table, removed] of Object.entries(report.removed))
    console.log(`  ${table.padEnd(26)} ${removed} removed`);
  console.log(`  jobs removed               ${report.jobsCancelled}`);
  console.log(`  auth user                  ${report.authUser}`);
  if (redactAtTwilio) {
    const redactor = createTwilioMessageRedactor(createTwilioClient(config.twilio));
    const made = await redactMessageBodies({ db, redactor }, report.erasureId, {
      onRedaction: (r) => console.log(`  Twilio ${r.messageSid} ${r.status}${r.error ? ` (${r.error})` : ''}`),
    }).catch((error: unknown) => {
      if (!(error instanceof RedactionInterruptedError)) throw error;
      console.error(`  Twilio redaction interrupted (${error.message}): run the command again for the rest`);
      process.exitCode = 1;
      return undefined;
    });
    if (made) console.log(`  Twilio redactions made: ${made.length} of ${report.redactionsPending} pending`);
  }
} catch (error) {
  if (!(error instanceof UnknownUserError)) throw error;
  console.error('phoneNumber' in target ? `no user with the number ${maskPhone(target.phoneNumber)}` : error.message);
  process.exitCode = 1;
} finally {
  await closeQueues(queues);
  connection.disconnect();
  await db.destroy();
}
