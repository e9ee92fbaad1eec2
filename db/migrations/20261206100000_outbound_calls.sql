-- Calls Series Killer places, one row per requested call, owned by the voice service's placing
-- worker. `status` moves forward within an attempt (see outbound_call_status_rank); a retry
-- after busy / no-answer / failed starts the next attempt back at `scheduled`. A placement
-- claims the row under a lease before it calls Twilio, so two workers never place the same
-- attempt, and a worker that died mid-placement is found out by the lease's expiry.
CREATE TABLE public.outbound_calls (
    id UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    user_id UUID NOT NULL REFERENCES auth.users(id) ON DELETE CASCADE,
    phone_number TEXT NOT NULL CHECK (phone_number ~ '^\+[1-9][0-9]{1,14}$'),
    -- What the bot is told the call is about.
    purpose TEXT CHECK (char_length(purpose) <= 500),
    -- The same request twice (same key) is the same call.
    idempotency_key TEXT UNIQUE CHECK (char_length(idempotency_key) BETWEEN 1 AND 200),
    -- Not placed before this time (the asked-for time, moved into the calling hours).
    not_before TIMESTAMPTZ NOT NULL,
    status TEXT NOT NULL DEFAULT 'scheduled' CHECK (status IN ('scheduled', 'placing', 'placed', 'answered',
      'voicemail', 'completed', 'busy', 'no-answer', 'failed', 'canceled', 'skipped')),
    attempt INTEGER NOT NULL DEFAULT 1 CHECK (attempt >= 1),
    -- The current attempt's call at Twilio, once placed.
    call_sid TEXT UNIQUE CHECK (call_sid ~ '^CA[0-9a-fA-F]{32}$'),
    -- The calls of earlier attempts: a placement that looks at Twilio for its own call never adopts one.
    earlier_call_sids TEXT[] NOT NULL DEFAULT '{}',
    -- Who is placing the current attempt, until when, and since when (a retry after the lease
    -- expired looks at Twilio for calls created since then).
    lease_owner TEXT,
    lease_expires_at TIMESTAMPTZ,
    lease_taken_at TIMESTAMPTZ,
    -- Answering-machine detection's verdict: human, machine_end_beep, …
    answered_by TEXT,
    -- Why the call ended without a conversation (skipped, failed, busy…).
    last_error TEXT,
    placed_at TIMESTAMPTZ,
    finished_at TIMESTAMPTZ,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX outbound_calls_user_id_idx ON public.outbound_calls (user_id);
CREATE INDEX outbound_calls_created_at_idx ON public.outbound_calls (created_at);
CREATE TRIGGER outbound_calls_set_updated_at BEFORE UPDATE ON public.outbound_calls
  FOR EACH ROW EXECUTE FUNCTION public.set_updated_at();

-- The order an attempt's status moves in; the outcomes share the last rank, so the first wins.
CREATE FUNCTION public.outbound_call_status_rank(status text) RETURNS integer
  LANGUAGE sql IMMUTABLE PARALLEL SAFE
  SET search_path = ''
  RETURN CASE status
    WHEN 'scheduled' THEN 1 WHEN 'placing' THEN 2 WHEN 'placed' THEN 3 WHEN 'answered' THEN 4
    ELSE 5 END;
REVOKE EXECUTE ON FUNCTION public.outbound_call_status_rank(text) FROM PUBLIC, anon, authenticated;

-- A user's time zone, where known: outbound calls ring inside the calling hours there.
CREATE TABLE public.user_time_zones (
    user_id UUID PRIMARY KEY REFERENCES auth.users(id) ON DELETE CASCADE,
    -- An IANA name (Europe/Paris), checked by the API.
    time_zone TEXT NOT NULL CHECK (char_length(time_zone) BETWEEN 1 AND 64),
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE TRIGGER user_time_zones_set_updated_at BEFORE UPDATE ON public.user_time_zones
  FOR EACH ROW EXECUTE FUNCTION public.set_updated_at();

-- Bookkeeping of the backend: only the service role reads them.
ALTER TABLE public.outbound_calls ENABLE ROW LEVEL SECURITY;
REVOKE ALL ON public.outbound_calls FROM anon, authenticated;
GRANT ALL ON public.outbound_calls TO service_role;
ALTER TABLE public.user_time_zones ENABLE ROW LEVEL SECURITY;
REVOKE ALL ON public.user_time_zones FROM anon, authenticated;
GRANT ALL ON public.user_time_zones TO service_role;
