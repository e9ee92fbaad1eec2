-- Narrows two grants of the API roles.
--
-- authenticated writes only `voice_preference` of its own preferences row: `id` (which could
-- then collide with the identity sequence), the timestamps and the owner stay the backend's.
-- An insert must name its `user_id`, which the insert policy pins to auth.uid().
REVOKE INSERT, UPDATE ON public.preferences FROM authenticated;
GRANT INSERT (user_id, voice_preference) ON public.preferences TO authenticated;
GRANT UPDATE (voice_preference) ON public.preferences TO authenticated;

-- Sequences have no row level security: USAGE/UPDATE would let anon and authenticated
-- advance or reset the identity sequences. Supabase grants every new sequence to them by
-- default; the backend's inserts need no sequence grant (identity columns are not checked).
REVOKE ALL ON ALL SEQUENCES IN SCHEMA public FROM anon, authenticated;
-- Sequences created by later migrations (run by this same role) are not granted either.
ALTER DEFAULT PRIVILEGES IN SCHEMA public REVOKE ALL ON SEQUENCES FROM anon, authenticated;
