-- Calls the product keeps no history of, because the user's side is not a phone number (an
-- anonymous caller, a Twilio Client or SIP endpoint). Their transcripts look here to know
-- that no call_history row will ever come, instead of waiting for one.
CREATE TABLE public.skipped_calls (
    call_sid TEXT PRIMARY KEY,
    reason TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now()
);

-- No user owns these rows: only the service role reads them.
ALTER TABLE public.skipped_calls ENABLE ROW LEVEL SECURITY;
REVOKE ALL ON public.skipped_calls FROM anon, authenticated;
GRANT ALL ON public.skipped_calls TO service_role;
