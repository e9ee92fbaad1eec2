import express, { type Response, Router } from 'express';
import { z } from 'zod';
import type { SandboxControl } from '../sandbox.ts';

const phone = z.string().min(1);

const callbackMode = z.strictObject({
  duplicate: z.boolean().optional(),
  shuffle: z.boolean().optional(),
  delayMs: z.number().int().min(0).optional(),
  outcome: z.enum(['delivered', 'undelivered', 'failed']).optional(),
  errorCode: z.number().int().positive().optional(),
  enabled: z.boolean().optional(),
});

const twilioMode = z.strictObject({
  failWith: z.union([z.literal(429), z.literal(500), z.literal(503)]).optional(),
  latencyMs: z.number().int().min(0).max(600_000).optional(),
  times: z.number().int().positive().optional(),
  trialAccount: z.boolean().optional(),
});

const openaiMode = z.strictObject({
  failWith: z.union([z.literal(400), z.literal(401), z.literal(429), z.literal(500), z.literal('hang')]).optional(),
  times: z.number().int().positive().optional(),
  latencyMs: z.number().int().min(0).optional(),
  firstTokenMs: z.number().int().min(0).optional(),
  interTokenMs: z.number().int().min(0).optional(),
  retryAfterMs: z.number().int().min(0).optional(),
  contextWindowTokens: z.number().int().positive().optional(),
});

const webhookSigning = z.strictObject({
  sharedKey: z
    .strictObject({
      id: z.string().min(1),
      secret: z.string().min(1),
      algorithm: z.enum(['HMAC_SHA1', 'HMAC_SHA256']),
    })
    .optional(),
});

const inboundSms = z.strictObject({
  from: phone,
  to: phone,
  body: z.string(),
  messagingServiceSid: z.string().optional(),
});

const call = z.strictObject({
  from: phone,
  to: phone,
  outcome: z.enum(['completed', 'busy', 'no-answer', 'failed']).optional(),
  durationSeconds: z.number().int().min(0).optional(),
  transcript: z
    .array(z.strictObject({ track: z.enum(['inbound_track', 'outbound_track']), text: z.string() }))
    .optional(),
  shuffle: z.boolean().optional(),
  duplicate: z.boolean().optional(),
});

const callerLine = z.union([
  z.string().min(1),
  z.strictObject({
    say: z.string().min(1),
    interruptAfterTokens: z.number().int().positive().optional(),
    speakingMs: z.number().int().min(0).max(60_000).optional(),
  }),
  z.strictObject({ digits: z.string().regex(/^[0-9*#]+$/, 'digits are 0-9, * and #') }),
  z.strictObject({ silence: z.literal(true) }),
]);

const callMode = z.strictObject({
  outcome: z.enum(['answered', 'busy', 'no-answer', 'failed']).optional(),
  answeredBy: z
    .enum(['human', 'machine_start', 'machine_end_beep', 'machine_end_silence', 'machine_end_other', 'fax', 'unknown'])
    .optional(),
  ringMs: z.number().int().min(0).optional(),
  talkMs: z.number().int().min(0).optional(),
  lines: z.array(callerLine).max(200).optional(),
});

const relayCall = z.strictObject({
  from: phone,
  to: phone,
  lines: z.array(callerLine).max(200),
  replyTimeoutMs: z.number().int().positive().max(120_000).optional(),
  hangUpAfterMs: z.number().int().min(0).max(60_000).optional(),
});

function parse<T>(schema: z.ZodType<T>, value: unknown, res: Response): T | undefined {
  const result = schema.safeParse(value ?? {});
  if (result.success) return result.data;
  const issues = result.error.issues.map((issue) => `${issue.path.join('.') || 'body'}: ${issue.message}`);
  res.status(400).json({ error: 'invalid request', issues });
  return undefined;
}

/**
 * The sandbox's own control API under /sandbox: read what the real APIs received, flip
 * their switches, and drive Twilio's side (inbound SMS, calls). Documented in the README.
 */
export function controlRouter(control: SandboxControl): Router {
  const router = Router();
  router.use(express.json({ limit: '1mb' }));

  router.get('/', (_req, res) => {
    res.json(control.urls());
  });
  router.get('/messages', (_req, res) => {
    res.json(control.messages());
  });
  router.get('/twilio/calls', (_req, res) => {
    res.json(control.calls());
  });
  router.put('/twilio/calls/mode', (req, res) => {
    const mode = parse(callMode, req.body, res);
    if (!mode) return;
    control.setCallMode(mode);
    res.status(204).end();
  });
  router.put('/twilio/calls/numbers/:to', (req, res) => {
    const mode = parse(callMode, req.body, res);
    if (!mode) return;
    control.setCallModeFor(String(req.params.to), mode);
    res.status(204).end();
  });
  router.delete('/twilio/calls/numbers/:to', (req, res) => {
    control.setCallModeFor(String(req.params.to), undefined);
    res.status(204).end();
  });
  router.get('/twilio/requests', (_req, res) => {
    res.json(control.twilioRequests());
  });
  router.put('/twilio/mode', (req, res) => {
    const mode = parse(twilioMode, req.body, res);
    if (!mode) return;
    control.setTwilioMode(mode);
    res.status(204).end();
  });
  router.get('/webhooks', (_req, res) => {
    res.json(control.webhooks());
  });
  router.put('/callbacks/mode', (req, res) => {
    const mode = parse(callbackMode, req.body, res);
    if (!mode) return;
    control.setCallbackMode(mode);
    res.status(204).end();
  });
  router.put('/callbacks/numbers/:to', (req, res) => {
    const mode = parse(callbackMode, req.body, res);
    if (!mode) return;
    control.setCallbackModeFor(String(req.params.to), mode);
    res.status(204).end();
  });
  router.delete('/callbacks/numbers/:to', (req, res) => {
    control.setCallbackModeFor(String(req.params.to), undefined);
    res.status(204).end();
  });
  router.get('/openai/requests', (_req, res) => {
    res.json(control.openaiRequests());
  });
  router.get('/openai/streams', (_req, res) => {
    res.json(control.openaiStreams());
  });
  router.put('/openai/mode', (req, res) => {
    const mode = parse(openaiMode, req.body, res);
    if (!mode) return;
    control.setOpenAIMode(mode);
    res.status(204).end();
  });
  router.put('/webhooks/signing', (req, res) => {
    const mode = parse(webhookSigning, req.body, res);
    if (!mode) return;
    control.setWebhookSigningMode(mode);
    res.status(204).end();
  });
  router.post('/sms/inbound', async (req, res) => {
    const input = parse(inboundSms, req.body, res);
    if (!input) return;
    res.json(await control.sendInboundSms(input));
  });
  router.post('/calls', async (req, res) => {
    if (typeof req.body === 'object' && req.body !== null && 'lines' in req.body) {
      const conversation = parse(relayCall, req.body, res);
      if (conversation) res.json(await control.conversationRelayCall(conversation));
      return;
    }
    const input = parse(call, req.body, res);
    if (!input) return;
    res.json(await control.simulateCall(input));
  });
  router.post('/reset', (_req, res) => {
    control.reset();
    res.status(204).end();
  });
  return router;
}
