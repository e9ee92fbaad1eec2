import { randomInt } from 'node:crypto';
import { type Config, type Db, VERIFICATION_CODE_IN_TEXT } from '@series-killer/shared';
import { sql } from 'kysely';
import { playOutboundCall } from './outbound-call-step.ts';
import { formatTable } from './print-table.ts';
import { waitUntil } from './wait-until.ts';

export interface DemoContext {
  config: Config;
  db: Db;
  internalApiToken: string;
  say: (line: string) => void;
}

interface SandboxMessage {
  sid: string;
  to: string;
  body: string;
  status: string;
}

const TRANSCRIPT = [
  { track: 'outbound_track', text: 'Hi Ada, this is Series Killer. What would you like to watch tonight?' },
  { track: 'inbound_track', text: 'Something like a slow-burn detective series, ideally set in Scandinavia.' },
  { track: 'outbound_track', text: 'Then try The Bridge. Shall I text you the first episode details?' },
  { track: 'inbound_track', text: 'Yes please, and remind me on Friday evening.' },
] as const;

async function http<T>(url: string, init: RequestInit & { json?: unknown } = {}): Promise<T> {
  const response = await fetch(url, {
    ...init,
    headers: { 'content-type': 'application/json', ...init.headers },
    body: init.json === undefined ? init.body : JSON.stringify(init.json),
  });
  const text = await response.text();
  if (!response.ok) throw new Error(`${init.method ?? 'GET'} ${url} answered ${response.status}: ${text}`);
  return (text ? JSON.parse(text) : undefined) as T;
}

/** What Ada says to the bot: the second line cuts its first reply short, the third asks for a text, the last ends the call. */
const ADA_SAYS = [
  "Hi, what's good to watch this week?",
  { say: 'Sorry, something slow-burning, a detective series set in Scandinavia?', interruptAfterTokens: 6 },
  'Great, can you text me the details?',
  'Thanks, goodbye!',
];

/** A call through the sandbox's ConversationRelay driver: the voice webhook, the bot's WebSocket, the call's end. */
async function talkWithTheBot(control: string, from: string, to: string, say: (line: string) => void): Promise<string> {
  // The model streams at a model's pace (300 ms to the first token, 20 ms between tokens), so Ada
  // barges in while a reply is still coming.
  await http(`${control}/openai/mode`, { method: 'PUT', json: { firstTokenMs: 300, interTokenMs: 20 } });
  const call = await http<{ callSid: string; dialogue: { speaker: string; text: string; interrupted?: boolean }[] }>(
    `${control}/calls`,
    { method: 'POST', json: { from, to, lines: ADA_SAYS } },
  ).finally(() => http(`${control}/openai/mode`, { method: 'PUT', json: {} }));
  for (const turn of call.dialogue)
    say(`      ${turn.speaker === 'bot' ? 'Bot' : 'Ada'}: ${turn.text}${turn.interrupted ? ' —' : ''}`);
  return call.callSid;
}

/** A call whose transcript comes from Twilio's real-time transcription, when our bot is off. */
async function simulateTranscribedCall(control: string, from: string, to: string): Promise<string> {
  const { callSid } = await http<{ callSid: string }>(`${control}/calls`, {
    method: 'POST',
    json: { from, to, durationSeconds: 94, transcript: TRANSCRIPT, shuffle: true },
  });
  return callSid;
}

/** The whole product in one scenario, through real signed webhooks from the sandbox. */
export async function playDemo({ config, db, internalApiToken, say }: DemoContext): Promise<void> {
  const ingress = config.http.publicBaseUrl;
  const control = `${config.sandbox.baseUrl}/sandbox`;
  const phone = `+1555${randomInt(1_000_000, 9_999_999)}`;
  const step = (n: number, text: string) => say(`\n[${n}/8] ${text}`);
  const messagesTo = async () => (await http<SandboxMessage[]>(`${control}/messages`)).filter((m) => m.to === phone);

  step(1, `A new user signs up: POST /api/users for Ada Lovelace, ${phone}`);
  const { userId } = await http<{ userId: string }>(`${ingress}/api/users`, {
    method: 'POST',
    headers: { authorization: `Bearer ${internalApiToken}` },
    json: { phone, firstName: 'Ada', lastName: 'Lovelace', location: 'London', voicePreference: 'Polly.Amy' },
  });
  say(`      user ${userId} created; onboarding queued`);

  step(2, 'The onboarding worker texts a welcome and a verification code (through the SMS worker and Twilio)');
  const sent = await waitUntil('the welcome and verification SMS to reach the sandbox', async () => {
    const messages = await messagesTo();
    return messages.length >= 2 && messages;
  });
  for (const message of sent) say(`      SMS ${message.sid}: ${message.body}`);

  step(3, 'Twilio reports delivery through signed status callbacks');
  await waitUntil('both onboarding messages to be delivered', async () => {
    const rows = await db.selectFrom('onboarding_messages').select('status').where('user_id', '=', userId).execute();
    return rows.length >= 2 && rows.every((row) => row.status === 'delivered');
  });
  const profile = await db
    .selectFrom('user_profiles')
    .select(['onboarding_status', 'onboarding_sent_at'])
    .where('user_id', '=', userId)
    .executeTakeFirstOrThrow();
  say(`      messages delivered; profile ${profile.onboarding_status}`);

  step(4, 'Ada texts the code back');
  const code = sent.map((message) => VERIFICATION_CODE_IN_TEXT.exec(message.body)?.[1]).find(Boolean);
  if (!code) throw new Error('no 6-digit code in the messages the sandbox received');
  await http(`${control}/sms/inbound`, {
    method: 'POST',
    json: { from: phone, to: config.twilio.fromNumber ?? '+15005550006', body: code },
  });
  await waitUntil('the profile to be completed', async () => {
    const row = await db
      .selectFrom('user_profiles')
      .select('onboarding_status')
      .where('user_id', '=', userId)
      .executeTakeFirst();
    return row?.onboarding_status === 'completed';
  });
  const confirmation = await waitUntil('the confirmation SMS', async () => (await messagesTo())[2]);
  say(`      onboarding completed; confirmation: ${confirmation.body}`);

  const botAnswers = config.voice.bot && !config.voice.botWsUrl;
  step(
    5,
    botAnswers
      ? 'Ada calls and talks with the voice bot, live (ConversationRelay): she cuts a reply short, asks for a text, says goodbye'
      : 'Ada calls: status callbacks and a real-time transcript arrive, shuffled as Twilio may send them',
  );
  const callSid = botAnswers
    ? await talkWithTheBot(control, phone, config.twilio.fromNumber ?? '+15005550006', say)
    : await simulateTranscribedCall(control, phone, config.twilio.fromNumber ?? '+15005550006');
  await waitUntil('the call to be completed with its transcript', async () => {
    const row = await db
      .selectFrom('call_history')
      .select(['call_status', 'transcript'])
      .where('call_sid', '=', callSid)
      .executeTakeFirst();
    return row?.call_status === 'completed' && Boolean(row.transcript);
  });
  say(`      call ${callSid} completed; transcript assembled in order`);

  step(6, 'The summarizer writes an OpenAI summary and structured analysis');
  const summary = await waitUntil(
    'the call summary',
    async () =>
      (await db.selectFrom('call_history').select('summary').where('call_sid', '=', callSid).executeTakeFirst())
        ?.summary ?? undefined,
    60_000,
  );
  say(`      summary: ${summary}`);

  step(7, "Series Killer calls Ada back about Friday's episode: POST /api/calls, placed by the voice service");
  await playOutboundCall({ ingress, control, internalApiToken, userId, phone, http, waitUntil, say });

  step(8, 'What the database now holds for Ada');
  await printRows(db, userId, say);
}

async function printRows(db: Db, userId: string, say: (line: string) => void): Promise<void> {
  const tables = [
    [
      'user_profiles',
      [
        'first_name',
        'last_name',
        'onboarding_status',
        'phone_verified',
        'onboarding_sent_at',
        'onboarding_completed_at',
      ],
    ],
    ['phone_links', ['phone_number', 'verified', 'verification_code', 'verification_attempts']],
    ['preferences', ['voice_preference']],
    ['onboarding_messages', ['message_type', 'status', 'message_sid', 'content', 'sent_at', 'delivered_at']],
    ['sms_history', ['direction', 'message_sid', 'content', 'created_at']],
    ['sms_status_events', ['message_sid', 'status', 'error_code', 'received_at']],
    ['call_history', ['call_sid', 'call_status', 'duration', 'transcript', 'summary']],
    ['call_transcript_segments', ['track', 'sequence', 'text', 'confidence']],
    ['call_analyses', ['model', 'total_tokens', 'sentiment', 'follow_up_needed', 'topics', 'action_items']],
    ['outbound_calls', ['status', 'attempt', 'purpose', 'call_sid', 'answered_by', 'not_before']],
  ] as const;
  for (const [table, columns] of tables) {
    // Status events are keyed by message; the user's are those of the user's messages.
    const owned =
      table === 'sms_status_events'
        ? sql`message_sid IN (SELECT message_sid FROM sms_history WHERE user_id = ${userId})`
        : sql`user_id = ${userId}`;
    const { rows } = await sql<Record<string, unknown>>`
      SELECT ${sql.join(columns.map((column) => sql.ref(column)))} FROM ${sql.table(table)}
      WHERE ${owned} ORDER BY ${sql.ref(table === 'call_transcript_segments' ? 'sequence' : 'id')}`.execute(db);
    say(`\n${formatTable(table, rows)}`);
  }
}
