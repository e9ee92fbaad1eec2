-- What an erasure keeps to recognise events that arrive after it: the SIDs of the erased user's
-- messages and calls. A SID is Twilio's identifier of a message or call, not personal data: once
-- the user's rows are gone nothing here leads back to a number, a name or a text. A late status
-- callback, call status or transcription event of one of these SIDs is refused, not stored.
CREATE TABLE public.erased_sids (
    sid TEXT PRIMARY KEY,
    erasure_id BIGINT NOT NULL REFERENCES public.user_erasures(id),
    created_at TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX erased_sids_erasure_id_idx ON public.erased_sids (erasure_id);

ALTER TABLE public.erased_sids ENABLE ROW LEVEL SECURITY;
REVOKE ALL ON public.erased_sids FROM anon, authenticated;
GRANT ALL ON public.erased_sids TO service_role;
