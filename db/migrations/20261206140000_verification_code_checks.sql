-- Each inbound message checked against a verification code, once. A message handed over again
-- (a replayed webhook, an operator's retry, a job run again after its id left Redis) is told
-- apart by this row, so it never counts as another wrong attempt.
CREATE TABLE public.verification_code_checks (
    message_sid TEXT PRIMARY KEY,
    phone_link_id BIGINT NOT NULL REFERENCES public.phone_links(id) ON DELETE CASCADE,
    checked_at TIMESTAMPTZ NOT NULL DEFAULT now()
);

CREATE INDEX verification_code_checks_phone_link_id_idx ON public.verification_code_checks (phone_link_id);

-- Bookkeeping of the onboarding worker: only the service role reads it.
ALTER TABLE public.verification_code_checks ENABLE ROW LEVEL SECURITY;
REVOKE ALL ON public.verification_code_checks FROM anon, authenticated;
GRANT ALL ON public.verification_code_checks TO service_role;
