-- A transcript is assembled from what arrived once a grace period after the transcription
-- stopped (or the call completed) has passed, with the missing pieces marked, instead of
-- waiting for ever for a piece that will never come.
ALTER TABLE public.call_transcriptions
  -- SequenceIds that Twilio spent on transcription-error events: no piece will ever carry them.
  ADD COLUMN error_sequences INTEGER[] NOT NULL DEFAULT '{}',
  -- Set when the grace period ended: from then on, the transcript is assembled with gaps.
  ADD COLUMN gaps_accepted_at TIMESTAMPTZ,
  -- Pieces the assembled transcript lacks (errors and pieces that never arrived).
  ADD COLUMN missing_pieces INTEGER CHECK (missing_pieces >= 0);

ALTER TABLE public.call_analyses
  -- Pieces missing from the transcript this analysis summarises; 0 for a complete transcript.
  ADD COLUMN transcript_missing_pieces INTEGER NOT NULL DEFAULT 0 CHECK (transcript_missing_pieces >= 0);
