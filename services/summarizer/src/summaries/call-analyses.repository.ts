import type { Db } from '@series-killer/shared';
import type { CallSummary } from './call-summarizer.ts';

/** The call as the summary needs it, with the pieces its assembled transcript lacks. */
export async function findCallForSummary(db: Db, callSid: string) {
  return db
    .selectFrom('call_history')
    .leftJoin('call_transcriptions', 'call_transcriptions.call_sid', 'call_history.call_sid')
    .select((eb) => [
      'call_history.user_id',
      'call_history.call_status',
      'call_history.transcript',
      eb.fn.coalesce('call_transcriptions.missing_pieces', eb.val(0)).as('missing_pieces'),
    ])
    .where('call_history.call_sid', '=', callSid)
    .executeTakeFirst();
}

/** Whether this exact transcript has been summarised already. */
export async function hasAnalysisOf(db: Db, callSid: string, transcriptSha256: string): Promise<boolean> {
  const row = await db
    .selectFrom('call_analyses')
    .select('id')
    .where('call_sid', '=', callSid)
    .where('transcript_sha256', '=', transcriptSha256)
    .executeTakeFirst();
  return row !== undefined;
}

/**
 * Stores the analysis and the plain summary together. An analysis of the same transcript is
 * kept as it is, so a replayed job changes nothing.
 */
export async function saveCallSummary(
  db: Db,
  call: { callSid: string; userId: string | null; transcriptSha256: string; transcriptMissingPieces: number },
  summary: CallSummary,
): Promise<void> {
  await db.transaction().execute(async (trx) => {
    await trx
      .insertInto('call_analyses')
      .values({
        call_sid: call.callSid,
        user_id: call.userId,
        model: summary.model,
        transcript_sha256: call.transcriptSha256,
        prompt_tokens: summary.usage.promptTokens,
        completion_tokens: summary.usage.completionTokens,
        total_tokens: summary.usage.totalTokens,
        request_count: summary.requestCount,
        summary: summary.analysis.summary,
        // pg would send a JS array as a Postgres array; jsonb wants JSON text.
        topics: JSON.stringify(summary.analysis.topics),
        action_items: JSON.stringify(summary.analysis.actionItems),
        sentiment: summary.analysis.sentiment,
        follow_up_needed: summary.analysis.followUpNeeded,
        transcript_missing_pieces: call.transcriptMissingPieces,
      })
      .onConflict((oc) =>
        oc
          .column('call_sid')
          .doUpdateSet((eb) => ({
            user_id: eb.ref('excluded.user_id'),
            model: eb.ref('excluded.model'),
            transcript_sha256: eb.ref('excluded.transcript_sha256'),
            prompt_tokens: eb.ref('excluded.prompt_tokens'),
            completion_tokens: eb.ref('excluded.completion_tokens'),
            total_tokens: eb.ref('excluded.total_tokens'),
            request_count: eb.ref('excluded.request_count'),
            summary: eb.ref('excluded.summary'),
            topics: eb.ref('excluded.topics'),
            action_items: eb.ref('excluded.action_items'),
            sentiment: eb.ref('excluded.sentiment'),
            follow_up_needed: eb.ref('excluded.follow_up_needed'),
            transcript_missing_pieces: eb.ref('excluded.transcript_missing_pieces'),
            created_at: eb.fn('now'),
          }))
          .where('call_analyses.transcript_sha256', '<>', call.transcriptSha256),
      )
      .execute();
    await trx
      .updateTable('call_history')
      .set({ summary: summary.analysis.summary })
      .where('call_sid', '=', call.callSid)
      .execute();
  });
}
