-- The append-only event logs are pruned by age (EVENT_RETENTION) in small batches; these
-- indexes let each batch find its oldest rows without scanning the log.
CREATE INDEX IF NOT EXISTS sms_status_events_received_at_idx ON public.sms_status_events (received_at);
CREATE INDEX IF NOT EXISTS call_transcript_segments_created_at_idx ON public.call_transcript_segments (created_at);
CREATE INDEX IF NOT EXISTS skipped_calls_created_at_idx ON public.skipped_calls (created_at);
