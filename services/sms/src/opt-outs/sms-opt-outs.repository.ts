import type { Db } from '@series-killer/shared';
import { sql } from 'kysely';

export async function isOptedOut(db: Db, phoneNumber: string): Promise<boolean> {
  const row = await db
    .selectFrom('sms_opt_outs')
    .select(['opted_out'])
    .where('phone_number', '=', phoneNumber)
    .executeTakeFirst();
  return row?.opted_out === true;
}

/** A number's choice to stop or resume SMS, and what expressed it. */
export interface OptChoice {
  phoneNumber: string;
  userId: string | null;
  optedOut: boolean;
  /** The keyword the user sent (STOP, START, …) or the source of the choice (twilio-21610). */
  keyword: string;
  /** When the choice was made; an older choice replayed late never overrides a newer one. */
  changedAt: Date;
}

/** Records an opt-out or opt-in; the newest choice wins whatever the order of arrival. */
export async function recordOptChoice(db: Db, choice: OptChoice): Promise<void> {
  await db
    .insertInto('sms_opt_outs')
    .values({
      phone_number: choice.phoneNumber,
      user_id: choice.userId,
      opted_out: choice.optedOut,
      keyword: choice.keyword,
      changed_at: choice.changedAt,
    })
    .onConflict((oc) =>
      oc
        .column('phone_number')
        .doUpdateSet({
          opted_out: (eb) => eb.ref('excluded.opted_out'),
          keyword: (eb) => eb.ref('excluded.keyword'),
          changed_at: (eb) => eb.ref('excluded.changed_at'),
          user_id: sql<string | null>`coalesce(excluded.user_id, sms_opt_outs.user_id)`,
        })
        .where('sms_opt_outs.changed_at', '<=', (eb) => eb.ref('excluded.changed_at')),
    )
    .execute();
}
