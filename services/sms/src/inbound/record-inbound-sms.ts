import { addJob, type Db, isErasedSid, type JobData, type Queues, VERIFICATION_CODE_MASK } from '@series-killer/shared';
import { recordOptChoice } from '../opt-outs/sms-opt-outs.repository.ts';
import { type InboundIntent, readInboundIntent } from './inbound-intent.ts';

export interface RecordInboundDeps {
  db: Db;
  queues: Queues;
}

export interface RecordInboundResult {
  outcome: 'recorded' | 'duplicate';
  intent: InboundIntent['kind'];
}

/**
 * Records one inbound SMS: its history row (one per MessageSid), with the user found through
 * phone_links, and an opt-out or opt-in keyword, in one transaction; the keyword counts only when
 * the message is seen for the first time, ordered by when it arrived. A 6-digit reply is then
 * handed to onboarding verification, also for a message seen before (its first run may have
 * died before enqueuing): verification counts each MessageSid once, in Postgres. A message of an
 * erased user is not recorded again.
 */
export async function recordInboundSms(
  deps: RecordInboundDeps,
  data: JobData<'record-inbound-sms'>,
): Promise<RecordInboundResult> {
  const intent = readInboundIntent(data.body);
  // A replay of an erased user's message: seen before, and stored again it would keep their words.
  if (await isErasedSid(deps.db, data.messageSid)) return { outcome: 'duplicate', intent: intent.kind };
  const inserted = await deps.db.transaction().execute(async (trx) => {
    const link = await trx
      .selectFrom('phone_links')
      .select(['user_id'])
      .where('phone_number', '=', data.from)
      .executeTakeFirst();
    const userId = link?.user_id ?? null;
    const row = await trx
      .insertInto('sms_history')
      .values({
        message_sid: data.messageSid,
        user_id: userId,
        phone_number: data.from,
        direction: 'inbound',
        // A verification code is a secret: history keeps that a code was sent, not the code.
        content: intent.kind === 'verification-code' ? VERIFICATION_CODE_MASK : data.body,
      })
      .onConflict((oc) => oc.column('message_sid').doNothing())
      .returning('id')
      .executeTakeFirst();
    const firstSeen = row !== undefined;
    // A replay (an operator retry, a Twilio retry after the job is gone, a replayed request) carries
    // a later receivedAt than the message had: applying it again could undo a newer STOP.
    if (firstSeen && (intent.kind === 'opt-out' || intent.kind === 'opt-in')) {
      await recordOptChoice(trx, {
        phoneNumber: data.from,
        userId,
        optedOut: intent.kind === 'opt-out',
        keyword: intent.keyword,
        changedAt: new Date(data.receivedAt),
      });
    }
    return firstSeen;
  });

  if (intent.kind === 'verification-code') {
    await addJob(deps.queues, 'verify-code', {
      phoneNumber: data.from,
      code: intent.code,
      messageSid: data.messageSid,
    });
  }
  return { outcome: inserted ? 'recorded' : 'duplicate', intent: intent.kind };
}
