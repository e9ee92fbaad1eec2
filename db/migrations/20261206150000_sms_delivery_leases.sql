-- A send's claim is a lease: the attempt that holds it (`lease_owner`) is the only one that may
-- call Twilio for the send until `lease_expires_at`. Another attempt that finds a live lease
-- waits; one that finds it expired first looks at Twilio for the message the holder may have
-- sent. Both are cleared when the send records its SID or fails for good.
ALTER TABLE public.sms_deliveries
  ADD COLUMN lease_owner TEXT,
  ADD COLUMN lease_expires_at TIMESTAMPTZ;
