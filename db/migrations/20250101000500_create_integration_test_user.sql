-- Creates a minimal auth.users row for integration tests. SECURITY DEFINER with an empty
-- search_path (every name qualified); only the backend may run it.
CREATE OR REPLACE FUNCTION public.create_integration_test_user(p_id uuid, p_phone text, p_email text)
  RETURNS json
  LANGUAGE plpgsql
  SECURITY DEFINER
  SET search_path = ''
  AS $fn$
DECLARE
  v_phone text := nullif(ltrim(p_phone, '+'), '');
BEGIN
  IF p_id IS NULL THEN
    RAISE EXCEPTION 'create_integration_test_user: p_id is required' USING ERRCODE = '22004';
  END IF;

  INSERT INTO auth.users (id, aud, role, phone, email, raw_app_meta_data, raw_user_meta_data, created_at, updated_at)
  VALUES (p_id, 'authenticated', 'authenticated', v_phone, p_email,
          '{"provider": "phone", "providers": ["phone"]}'::jsonb, '{}'::jsonb, now(), now())
  ON CONFLICT (id) DO NOTHING;

  IF FOUND THEN
    RETURN json_build_object('user_id', p_id, 'status', 'created');
  END IF;
  RETURN json_build_object('user_id', p_id, 'status', 'exists');
END
$fn$;

REVOKE EXECUTE ON FUNCTION public.create_integration_test_user(uuid, text, text) FROM PUBLIC, anon, authenticated;
GRANT EXECUTE ON FUNCTION public.create_integration_test_user(uuid, text, text) TO service_role;
