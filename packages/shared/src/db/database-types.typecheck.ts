// Compile-time checks of the generated Database types, run by `npm run typecheck`:
// each @ts-expect-error fails the typecheck if the line it guards ever compiles.
import type { Db } from './create-db.ts';

export function queriesAgainstTheSchema(db: Db) {
  return [
    db.selectFrom('sms_history').select(['message_sid', 'direction', 'content']),
    // @ts-expect-error sms_history has no status column: the current status lives elsewhere
    db.selectFrom('sms_history').select('status'),
    // @ts-expect-error there is no such table
    db.selectFrom('sms_messages').selectAll(),
    // @ts-expect-error user_profiles.first_name is NOT NULL, so an insert must give it
    db.insertInto('user_profiles').values({ user_id: 'u', last_name: 'L' }),
  ];
}
