import { createHash } from 'node:crypto';
import { rfc2822 } from '../dates.ts';
import { newSid } from '../sids.ts';
import { arrangeEvents } from '../webhooks/event-order.ts';
import { newIdempotencyToken, type WebhookRequest } from '../webhooks/webhook-sender.ts';
import { geographicParams } from './geography.ts';
import { type DriverDeps, ingressUrl } from './inbound-sms.ts';

export type CallOutcome = 'completed' | 'busy' | 'no-answer' | 'failed';
export type TranscriptTrack = 'inbound_track' | 'outbound_track';

/** A whole incoming call, played as Twilio's webhooks. */
export interface SimulatedCallInput {
  /** The caller. */
  from: string;
  /** The application's number. */
  to: string;
  /** How the call ends. Default 'completed'. */
  outcome?: CallOutcome;
  /** CallDuration of a completed call, in seconds. Default: from the transcript's length (at least 5). */
  durationSeconds?: number;
  /**
   * What was said, one final transcription event per line (completed calls only).
   * Omitted: no transcription events; `[]`: only `transcription-started` and `-stopped`.
   */
  transcript?: { track: TranscriptTrack; text: string }[];
  /** Deliver everything after the initial voice request in an order other than the natural one. Default false. */
  shuffle?: boolean;
  /** Send every event twice with the same idempotency token. Default false. */
  duplicate?: boolean;
}

export interface SimulatedCallResult {
  callSid: string;
  transcriptionSid: string | null;
  /** Each request as sent, in order, with the HTTP status the ingress answered. */
  deliveries: { kind: string; params: Record<string, string>; status: number }[];
}

/** The parameters Twilio sends with every request about an incoming call. */
export function callParams(
  accountSid: string,
  callSid: string,
  input: { from: string; to: string },
): Record<string, string> {
  return {
    AccountSid: accountSid,
    ApiVersion: '2010-04-01',
    CallSid: callSid,
    Called: input.to,
    ...geographicParams('Called', input.to),
    Caller: input.from,
    ...geographicParams('Caller', input.from),
    Direction: 'inbound',
    From: input.from,
    ...geographicParams('From', input.from),
    To: input.to,
    ...geographicParams('To', input.to),
  };
}

/** A recogniser confidence that varies by line but not between runs. */
function confidenceOf(text: string): string {
  const hash = createHash('sha256').update(text).digest();
  return (0.85 + ((hash[0] ?? 0) % 15) / 100).toFixed(2);
}

function defaultDuration(transcript: SimulatedCallInput['transcript']): number {
  const words = (transcript ?? []).reduce((sum, line) => sum + line.text.split(/\s+/).filter(Boolean).length, 0);
  return Math.max(5, Math.ceil(words / 2.5));
}

function statusSequence(outcome: CallOutcome): string[] {
  return outcome === 'completed'
    ? ['initiated', 'ringing', 'in-progress', 'completed']
    : ['initiated', 'ringing', outcome];
}

function transcriptionEvents(
  deps: DriverDeps,
  callSid: string,
  transcriptionSid: string,
  transcript: NonNullable<SimulatedCallInput['transcript']>,
): WebhookRequest[] {
  const url = ingressUrl(deps, '/twilio/voice/transcription');
  let sequenceId = 0;
  const event = (name: string, extra: Record<string, string>): WebhookRequest => ({
    kind: 'transcription',
    url,
    idempotencyToken: newIdempotencyToken(),
    params: {
      AccountSid: deps.accountSid,
      CallSid: callSid,
      TranscriptionSid: transcriptionSid,
      Timestamp: new Date().toISOString(),
      SequenceId: String(++sequenceId),
      TranscriptionEvent: name,
      ...extra,
    },
  });
  return [
    event('transcription-started', {
      Track: 'both_tracks',
      LanguageCode: 'en-US',
      TranscriptionEngine: 'google',
      PartialResults: 'false',
      ProviderConfiguration: JSON.stringify({ profanityFilter: 'true', speechModel: 'telephony' }),
    }),
    ...transcript.map((line) =>
      event('transcription-content', {
        LanguageCode: 'en-US',
        Track: line.track,
        TranscriptionData: JSON.stringify({ transcript: line.text, confidence: Number(confidenceOf(line.text)) }),
        Final: 'true',
      }),
    ),
    event('transcription-stopped', {}),
  ];
}

/** The status callback of a call moving to `status`; `completed` carries the call's duration in seconds. */
export function voiceStatusCallback(
  deps: DriverDeps,
  base: Record<string, string>,
  status: string,
  sequence: number,
  durationSeconds: number,
): WebhookRequest {
  return {
    kind: 'voice-status',
    url: ingressUrl(deps, '/twilio/voice/status'),
    idempotencyToken: newIdempotencyToken(),
    params: {
      ...base,
      CallStatus: status,
      CallbackSource: 'call-progress-events',
      SequenceNumber: String(sequence),
      Timestamp: rfc2822(Date.now()),
      ...(status === 'completed'
        ? { CallDuration: String(durationSeconds), Duration: String(Math.ceil(durationSeconds / 60)) }
        : {}),
    },
  };
}

/** The voice webhook Twilio sends when a call comes in. */
export function incomingCallWebhook(deps: DriverDeps, base: Record<string, string>): WebhookRequest {
  return {
    kind: 'voice',
    url: ingressUrl(deps, '/twilio/voice'),
    params: { ...base, CallStatus: 'ringing' },
    idempotencyToken: newIdempotencyToken(),
  };
}

/**
 * The webhooks of one incoming call, in their natural order: the voice request, the status
 * callbacks `initiated`, `ringing`, `in-progress`, the transcription events, then `completed`
 * with its duration (or `initiated`, `ringing` and `busy`/`no-answer`/`failed`).
 */
export function callWebhooks(
  deps: DriverDeps,
  callSid: string,
  transcriptionSid: string,
  input: SimulatedCallInput,
): { voice: WebhookRequest; events: WebhookRequest[] } {
  const outcome = input.outcome ?? 'completed';
  const base = callParams(deps.accountSid, callSid, input);
  const voice = incomingCallWebhook(deps, base);
  const duration = input.durationSeconds ?? defaultDuration(input.transcript);
  const statuses = statusSequence(outcome).map((status, sequence) =>
    voiceStatusCallback(deps, base, status, sequence, duration),
  );
  const transcription =
    outcome === 'completed' && input.transcript
      ? transcriptionEvents(deps, callSid, transcriptionSid, input.transcript)
      : [];
  const terminal = statuses.at(-1);
  const events = [...statuses.slice(0, -1), ...transcription, ...(terminal ? [terminal] : [])];
  return { voice, events };
}

/** Plays a whole incoming call against the ingress and resolves once every webhook has been answered. */
export async function simulateCall(deps: DriverDeps, input: SimulatedCallInput): Promise<SimulatedCallResult> {
  const callSid = newSid('CA');
  const transcriptionSid = newSid('GT');
  const { voice, events } = callWebhooks(deps, callSid, transcriptionSid, input);
  const deliveries: SimulatedCallResult['deliveries'] = [];
  for (const request of [voice, ...arrangeEvents(events, input)]) {
    const result = await deps.sender.send(request);
    deliveries.push({ kind: request.kind, params: request.params, status: result.status });
  }
  const transcribed = (input.outcome ?? 'completed') === 'completed' && input.transcript !== undefined;
  return { callSid, transcriptionSid: transcribed ? transcriptionSid : null, deliveries };
}
