-- The Twilio SequenceNumber of the callback that set each call's current status. Callbacks run
-- concurrently and arrive in any order; within one status rank (queued and initiated, or two
-- terminal statuses) the later callback wins, and only the sequence says which one is later.
CREATE TABLE public.call_status_sequences (
    call_sid TEXT PRIMARY KEY REFERENCES public.call_history(call_sid) ON DELETE CASCADE,
    sequence INTEGER NOT NULL CHECK (sequence >= 0),
    updated_at TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE TRIGGER call_status_sequences_set_updated_at BEFORE UPDATE ON public.call_status_sequences
  FOR EACH ROW EXECUTE FUNCTION public.set_updated_at();

-- No user owns these rows: only the service role reads them.
ALTER TABLE public.call_status_sequences ENABLE ROW LEVEL SECURITY;
REVOKE ALL ON public.call_status_sequences FROM anon, authenticated;
GRANT ALL ON public.call_status_sequences TO service_role;
