-- Row Level Security on every public table. The backend (service_role, or the table owner)
-- bypasses it; an authenticated user reads only their own rows and writes only their own
-- preferences; anon gets nothing. Supabase grants new tables to anon and authenticated by
-- default, so the grants are narrowed explicitly too (TRUNCATE is not subject to RLS).

DO $rls$
DECLARE
  t text;
BEGIN
  FOREACH t IN ARRAY ARRAY['phone_links', 'preferences', 'call_history', 'sms_history', 'user_profiles',
    'onboarding_messages', 'sms_status_events', 'sms_opt_outs', 'call_transcriptions',
    'call_transcript_segments', 'call_analyses']
  LOOP
    EXECUTE format('ALTER TABLE public.%I ENABLE ROW LEVEL SECURITY', t);
    EXECUTE format('REVOKE ALL ON public.%I FROM anon', t);
    EXECUTE format('REVOKE ALL ON public.%I FROM authenticated', t);
    EXECUTE format('GRANT SELECT ON public.%I TO authenticated', t);
    EXECUTE format('GRANT ALL ON public.%I TO service_role', t);
    EXECUTE format(
      'CREATE POLICY %I ON public.%I FOR SELECT TO authenticated USING (user_id = (SELECT auth.uid()))',
      t || '_select_own', t);
  END LOOP;
END
$rls$;

GRANT INSERT, UPDATE ON public.preferences TO authenticated;
CREATE POLICY preferences_insert_own ON public.preferences FOR INSERT TO authenticated
  WITH CHECK (user_id = (SELECT auth.uid()));
CREATE POLICY preferences_update_own ON public.preferences FOR UPDATE TO authenticated
  USING (user_id = (SELECT auth.uid()))
  WITH CHECK (user_id = (SELECT auth.uid()));
