-- Integrity on top of the seed: updated_at maintained by trigger, CHECKs for the documented
-- value sets and E.164 phone numbers, and the indexes the workers look rows up by.

CREATE OR REPLACE FUNCTION public.set_updated_at() RETURNS trigger
  LANGUAGE plpgsql
  SET search_path = ''
  AS $fn$
BEGIN
  NEW.updated_at := now();
  RETURN NEW;
END
$fn$;
REVOKE EXECUTE ON FUNCTION public.set_updated_at() FROM PUBLIC, anon, authenticated;

CREATE TRIGGER phone_links_set_updated_at BEFORE UPDATE ON public.phone_links
  FOR EACH ROW EXECUTE FUNCTION public.set_updated_at();
CREATE TRIGGER preferences_set_updated_at BEFORE UPDATE ON public.preferences
  FOR EACH ROW EXECUTE FUNCTION public.set_updated_at();
CREATE TRIGGER user_profiles_set_updated_at BEFORE UPDATE ON public.user_profiles
  FOR EACH ROW EXECUTE FUNCTION public.set_updated_at();

ALTER TABLE public.user_profiles ADD CONSTRAINT user_profiles_onboarding_status_check
  CHECK (onboarding_status IN ('pending', 'sms_sent', 'completed', 'failed'));

ALTER TABLE public.onboarding_messages ADD CONSTRAINT onboarding_messages_message_type_check
  CHECK (message_type IN ('welcome', 'verification', 'reminder'));
ALTER TABLE public.onboarding_messages ADD CONSTRAINT onboarding_messages_status_check
  CHECK (status IN ('pending', 'sent', 'delivered', 'failed'));

ALTER TABLE public.sms_history ADD CONSTRAINT sms_history_direction_check
  CHECK (direction IN ('inbound', 'outbound'));

ALTER TABLE public.call_history ADD CONSTRAINT call_history_call_status_check
  CHECK (call_status IN ('queued', 'initiated', 'ringing', 'in-progress', 'completed', 'busy', 'failed', 'no-answer', 'canceled'));
ALTER TABLE public.call_history ADD CONSTRAINT call_history_duration_check
  CHECK (duration >= 0);

ALTER TABLE public.phone_links ADD CONSTRAINT phone_links_phone_number_e164_check
  CHECK (phone_number ~ '^\+[1-9][0-9]{1,14}$');
ALTER TABLE public.call_history ADD CONSTRAINT call_history_phone_number_e164_check
  CHECK (phone_number ~ '^\+[1-9][0-9]{1,14}$');
ALTER TABLE public.sms_history ADD CONSTRAINT sms_history_phone_number_e164_check
  CHECK (phone_number ~ '^\+[1-9][0-9]{1,14}$');
ALTER TABLE public.onboarding_messages ADD CONSTRAINT onboarding_messages_phone_number_e164_check
  CHECK (phone_number ~ '^\+[1-9][0-9]{1,14}$');

ALTER TABLE public.phone_links ADD CONSTRAINT phone_links_verification_attempts_check
  CHECK (verification_attempts >= 0);

CREATE INDEX IF NOT EXISTS phone_links_user_id_idx ON public.phone_links (user_id);
CREATE INDEX IF NOT EXISTS call_history_user_id_idx ON public.call_history (user_id, created_at DESC);
CREATE INDEX IF NOT EXISTS call_history_phone_number_idx ON public.call_history (phone_number);
CREATE INDEX IF NOT EXISTS sms_history_user_id_idx ON public.sms_history (user_id, created_at DESC);
CREATE INDEX IF NOT EXISTS sms_history_phone_number_idx ON public.sms_history (phone_number, created_at DESC);
CREATE INDEX IF NOT EXISTS onboarding_messages_user_id_idx ON public.onboarding_messages (user_id, message_type);
CREATE UNIQUE INDEX IF NOT EXISTS onboarding_messages_message_sid_key
  ON public.onboarding_messages (message_sid) WHERE message_sid IS NOT NULL;
-- The onboarding sweep looks for pending profiles by age.
CREATE INDEX IF NOT EXISTS user_profiles_pending_idx
  ON public.user_profiles (created_at) WHERE onboarding_status = 'pending';
