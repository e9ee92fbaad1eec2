import {
  CALL_STATUSES,
  callerPhoneNumber,
  type Db,
  jsonText,
  type Logger,
  type PreparedJob,
  parseRelayHandoff,
  prepareJob,
  TRANSCRIPTION_TRACKS,
  withTimeout,
} from '@series-killer/shared';
import { Router } from 'express';
import { z } from 'zod';
import type { JobBatcher } from '../enqueue/job-batcher.ts';
import { parseRequest } from '../http/parse-request.ts';
import { formBoolean, formInt, twilioSid } from '../twilio/twilio-params.ts';
import { findCaller, type KnownCaller } from './caller.repository.ts';
import {
  incomingCallTwiml,
  type RelayEndedOutcome,
  recordingDoneTwiml,
  relayEndedTwiml,
} from './incoming-call-twiml.ts';

const callSid = twilioSid(['CA'], 'Call SID');

const incomingCallParams = z.object({
  CallSid: callSid,
  From: z.string().default(''),
  To: z.string().default(''),
  Direction: z.string().min(1).default('inbound'),
  CallStatus: z.enum(CALL_STATUSES),
});

const callStatusParams = z.object({
  CallSid: callSid,
  CallStatus: z.enum(CALL_STATUSES),
  From: z.string().default(''),
  To: z.string().default(''),
  Direction: z.string().min(1).default('inbound'),
  CallDuration: formInt.optional(),
  SequenceNumber: formInt.optional(),
});

const transcriptionData = jsonText.pipe(
  z.object({ transcript: z.string().default(''), confidence: z.number().min(0).max(1).optional() }),
);

const transcriptionEventParams = z.object({
  CallSid: callSid,
  TranscriptionSid: z.string().min(1),
  TranscriptionEvent: z.enum([
    'transcription-started',
    'transcription-content',
    'transcription-stopped',
    'transcription-error',
  ]),
  SequenceId: formInt,
  Final: formBoolean.default(false),
});

// Only content events carry text and name one track (`started` reports `both_tracks`).
const transcriptionContentParams = z.object({
  Track: z.enum(TRANSCRIPTION_TRACKS),
  TranscriptionData: transcriptionData,
});

const legacyTranscriptionParams = z.object({
  CallSid: callSid,
  TranscriptionSid: z.string().min(1),
  TranscriptionText: z.string().default(''),
});

const relayEndedParams = z.object({
  CallSid: callSid,
  SessionId: z.string().min(1).max(64).optional(),
  SessionStatus: z.string().min(1).max(32),
  HandoffData: z.string().max(10_000).optional(),
});

/**
 * The `<Connect action>` callback of a ConversationRelay session: its `relay-session-ended` job, and
 * what to answer. The session's turn count comes from our bot's hand-off; a failed session has none.
 */
export function relayEnded(
  params: unknown,
  receivedAt: string,
  transferNumber: string | undefined,
): { job: PreparedJob<'relay-session-ended'>; outcome: RelayEndedOutcome } {
  const p = parseRequest(relayEndedParams, params);
  const handoff = parseRelayHandoff(p.HandoffData);
  const job = prepareJob('relay-session-ended', {
    callSid: p.CallSid,
    sessionId: p.SessionId ?? p.CallSid,
    sessionStatus: p.SessionStatus,
    turns: handoff?.turns ?? null,
    receivedAt,
  });
  if (handoff?.reason === 'transfer' && transferNumber)
    return { job, outcome: { kind: 'dial', number: transferNumber } };
  if (p.SessionStatus === 'failed' || handoff?.reason === 'model-failed')
    return { job, outcome: { kind: 'apologise' } };
  return { job, outcome: { kind: 'hang-up' } };
}

/** The `call-started` job of an incoming call. */
export function callStartedJob(params: unknown, receivedAt: string): PreparedJob<'call-started'> {
  const p = parseRequest(incomingCallParams, params);
  return prepareJob('call-started', {
    callSid: p.CallSid,
    from: p.From,
    to: p.To,
    direction: p.Direction,
    callStatus: p.CallStatus,
    receivedAt,
  });
}

/** The `call-status` job of a call status callback. */
export function callStatusJob(params: unknown, receivedAt: string): PreparedJob<'call-status'> {
  const p = parseRequest(callStatusParams, params);
  return prepareJob('call-status', {
    callSid: p.CallSid,
    callStatus: p.CallStatus,
    from: p.From,
    to: p.To,
    direction: p.Direction,
    callDuration: p.CallDuration ?? null,
    sequenceNumber: p.SequenceNumber ?? null,
    receivedAt,
  });
}

function isLegacyTranscription(params: unknown): boolean {
  return (
    typeof params === 'object' && params !== null && !('TranscriptionEvent' in params) && 'TranscriptionText' in params
  );
}

/**
 * The job of a transcription callback: a real-time `TranscriptionEvent`, or a legacy
 * `<Record transcribe>` callback carrying the whole `TranscriptionText`.
 */
export function transcriptionJob(
  params: unknown,
  receivedAt: string,
): PreparedJob<'transcription-event'> | PreparedJob<'legacy-transcription'> {
  if (isLegacyTranscription(params)) {
    const p = parseRequest(legacyTranscriptionParams, params);
    return prepareJob('legacy-transcription', {
      callSid: p.CallSid,
      transcriptionSid: p.TranscriptionSid,
      transcriptionText: p.TranscriptionText,
      receivedAt,
    });
  }
  const p = parseRequest(transcriptionEventParams, params);
  const content =
    p.TranscriptionEvent === 'transcription-content' ? parseRequest(transcriptionContentParams, params) : undefined;
  return prepareJob('transcription-event', {
    callSid: p.CallSid,
    transcriptionSid: p.TranscriptionSid,
    event: p.TranscriptionEvent,
    sequenceId: p.SequenceId,
    track: content?.Track ?? null,
    text: content?.TranscriptionData.transcript ?? null,
    confidence: content?.TranscriptionData.confidence ?? null,
    final: p.Final,
    receivedAt,
  });
}

export interface VoiceWebhookOptions {
  db: Db;
  batcher: JobBatcher;
  logger: Logger;
  publicBaseUrl: string;
  /** `TWILIO_CALLBACK_OVERRIDES`: connection overrides of the transcription callback URL. */
  callbackOverrides: string;
  voiceBotWsUrl?: string;
  /** Our voice bot's public WebSocket URL; unset when `VOICE_BOT=off`. */
  relayUrl?: string;
  /** `VOICE_BOT_TRANSFER_NUMBER`: where a hand-off to a person is dialled. */
  transferNumber?: string;
  /** Milliseconds the caller lookup may take before the generic greeting is used. Default 300. */
  callerLookupTimeoutMs?: number;
}

async function lookUpCaller(options: VoiceWebhookOptions, from: string): Promise<KnownCaller | undefined> {
  const phoneNumber = callerPhoneNumber(from);
  if (!phoneNumber) return undefined;
  const timeoutMs = options.callerLookupTimeoutMs ?? 300;
  const lookup = findCaller(options.db, phoneNumber).catch((error: unknown) => {
    options.logger.warn({ err: error }, 'caller lookup failed; generic greeting');
    return undefined;
  });
  return withTimeout(lookup, timeoutMs, () => {
    options.logger.warn({ timeoutMs }, 'caller lookup timed out; generic greeting');
    return undefined;
  });
}

/** The voice routes, behind the Twilio webhook gate. */
export function voiceWebhookRoutes(options: VoiceWebhookOptions): Router {
  const router = Router();

  router.post('/twilio/voice', async (req, res) => {
    const job = callStartedJob(req.body, new Date().toISOString());
    const [caller] = await Promise.all([lookUpCaller(options, job.data.from), options.batcher.enqueue(job)]);
    res.type('text/xml').send(incomingCallTwiml({ ...options, caller }));
  });

  router.post('/twilio/voice/relay-ended', async (req, res) => {
    const { job, outcome } = relayEnded(req.body, new Date().toISOString(), options.transferNumber);
    await options.batcher.enqueue(job);
    res.type('text/xml').send(relayEndedTwiml(outcome));
  });

  router.post('/twilio/voice/recorded', (_req, res) => {
    res.type('text/xml').send(recordingDoneTwiml());
  });

  router.post('/twilio/voice/status', async (req, res) => {
    await options.batcher.enqueue(callStatusJob(req.body, new Date().toISOString()));
    res.status(204).end();
  });

  router.post('/twilio/voice/transcription', async (req, res) => {
    await options.batcher.enqueue(transcriptionJob(req.body, new Date().toISOString()));
    res.status(204).end();
  });

  return router;
}
