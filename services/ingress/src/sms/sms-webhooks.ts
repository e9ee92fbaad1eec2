import {
  type PreparedJob,
  prepareJob,
  SMS_STATUSES,
  type SmsStatusCallback,
  type TwilioParams,
} from '@series-killer/shared';
import { Router } from 'express';
import MessagingResponse from 'twilio/lib/twiml/MessagingResponse.js';
import { z } from 'zod';
import type { JobBatcher } from '../enqueue/job-batcher.ts';
import { parseRequest } from '../http/parse-request.ts';
import { formInt, phoneParam, twilioSid } from '../twilio/twilio-params.ts';
import { createStatusCoalescer } from './status-coalescer.ts';

const messageSid = twilioSid(['SM', 'MM'], 'Message SID');

const inboundSmsParams = z.object({
  MessageSid: messageSid,
  AccountSid: twilioSid(['AC'], 'Account SID'),
  From: phoneParam,
  To: z.string().min(1),
  Body: z.string().default(''),
  NumMedia: formInt.default(0),
  NumSegments: formInt.default(1),
});

const smsStatusParams = z.object({
  MessageSid: messageSid,
  // Every status the Twilio SDK's MessageStatus type lists.
  MessageStatus: z.enum(SMS_STATUSES),
  ErrorCode: formInt.optional(),
});

/**
 * A parameter Twilio may repeat: its first value is the one read. Picked before the parse rather
 * than by a zod preprocess, which on this route (every delivery callback) allocated three times
 * what the parse itself does.
 */
const firstValue = (value: TwilioParams[string]) => (Array.isArray(value) ? value[0] : value);

/** The `record-inbound-sms` job of an inbound-SMS webhook. */
export function inboundSmsJob(params: unknown, receivedAt: string): PreparedJob<'record-inbound-sms'> {
  const p = parseRequest(inboundSmsParams, params);
  return prepareJob('record-inbound-sms', {
    messageSid: p.MessageSid,
    accountSid: p.AccountSid,
    from: p.From,
    to: p.To,
    body: p.Body,
    numMedia: p.NumMedia,
    numSegments: p.NumSegments,
    receivedAt,
  });
}

/**
 * The validated callback of a message status webhook. Every parameter is kept verbatim for the
 * event log, as the Twilio gate parsed it (a repeated one as a list).
 */
export function smsStatusCallback(params: TwilioParams, receivedAt: string): SmsStatusCallback {
  const p = parseRequest(smsStatusParams, {
    MessageSid: firstValue(params.MessageSid),
    MessageStatus: firstValue(params.MessageStatus),
    ErrorCode: firstValue(params.ErrorCode),
  });
  return {
    messageSid: p.MessageSid,
    status: p.MessageStatus,
    errorCode: p.ErrorCode ?? null,
    raw: params,
    receivedAt,
  };
}

/** `POST /twilio/sms` and `POST /twilio/sms/status`, behind the Twilio webhook gate. */
export function smsWebhookRoutes(batcher: JobBatcher): Router {
  const router = Router();
  const statuses = createStatusCoalescer(batcher);
  const emptyTwiml = new MessagingResponse().toString();

  router.post('/twilio/sms', async (req, res) => {
    await batcher.enqueue(inboundSmsJob(req.body, new Date().toISOString()));
    res.type('text/xml').send(emptyTwiml);
  });

  router.post('/twilio/sms/status', async (req, res) => {
    await statuses.add(smsStatusCallback(req.body, new Date().toISOString()));
    res.status(204).end();
  });

  return router;
}
