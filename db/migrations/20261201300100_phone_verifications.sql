-- Which inbound message verified each phone link. A code texted after verification is told
-- apart from a retry of the verifying job by this row, not by what Redis still holds, so a
-- verified user never gets the confirmation twice.
CREATE TABLE public.phone_verifications (
    phone_link_id BIGINT PRIMARY KEY REFERENCES public.phone_links(id) ON DELETE CASCADE,
    message_sid TEXT NOT NULL,
    verified_at TIMESTAMPTZ NOT NULL DEFAULT now()
);

-- Bookkeeping of the onboarding worker: only the service role reads it.
ALTER TABLE public.phone_verifications ENABLE ROW LEVEL SECURITY;
REVOKE ALL ON public.phone_verifications FROM anon, authenticated;
GRANT ALL ON public.phone_verifications TO service_role;
