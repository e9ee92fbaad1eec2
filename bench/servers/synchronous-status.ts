// Baseline for the pipeline benchmark: the naive design with no queue. Each status callback's
// request checks the signature, then INSERTs the event and UPDATEs the delivery record itself
// before answering, on a pool of the same size as an SMS worker's.
import express from 'express';
import pg from 'pg';
import twilio from 'twilio';
import { twilioSignedStatusUrl } from '../lib/load.ts';

const port = Number(process.env.PORT ?? 3901);
// Signed as Twilio signs the callbacks of messages the product sent: with the connection-override fragment.
const signedUrl = twilioSignedStatusUrl(
  `${process.env.PUBLIC_BASE_URL ?? `http://127.0.0.1:${port}`}/twilio/sms/status`,
);
const authToken = process.env.TWILIO_AUTH_TOKEN ?? '';
const pool = new pg.Pool({
  connectionString: process.env.DATABASE_URL,
  max: Number(process.env.DATABASE_POOL_SIZE ?? 10),
});

const app = express();
app.post('/twilio/sms/status', express.urlencoded({ extended: false, limit: '64kb' }), async (req, res) => {
  const params = req.body as Record<string, string>;
  if (!twilio.validateRequest(authToken, req.header('X-Twilio-Signature') ?? '', signedUrl, params)) {
    res.status(403).end();
    return;
  }
  const errorCode = params.ErrorCode ? Number(params.ErrorCode) : null;
  try {
    await pool.query(
      `insert into public.sms_status_events (message_sid, status, error_code, raw_payload, received_at, applied_at)
       values ($1, $2, $3, $4, now(), now()) on conflict on constraint sms_status_events_event_key do nothing`,
      [params.MessageSid, params.MessageStatus, errorCode, JSON.stringify(params)],
    );
    await pool.query(
      `update public.sms_deliveries set status = $2, last_callback_at = now()
       where message_sid = $1 and public.sms_delivery_status_rank($2) > public.sms_delivery_status_rank(status)`,
      [params.MessageSid, params.MessageStatus],
    );
    res.status(204).end();
  } catch (error) {
    console.error(error);
    res.status(503).end();
  }
});
app.get('/healthz', (_req, res) => {
  res.status(200).end();
});
const server = app.listen(port, '127.0.0.1', () => console.log(`listening on ${port}`));
process.on('SIGTERM', () => server.close(() => pool.end().then(() => process.exit(0))));
