import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { sql } from 'kysely';
import { createTestDatabase, type TestDatabase } from '../testing/test-database.ts';

describe('integrity constraints on top of the seed', () => {
  let testDb: TestDatabase;
  const userId = randomUUID();

  beforeAll(async () => {
    testDb = await createTestDatabase();
    await sql`SELECT public.create_integration_test_user(${userId}::uuid, '15550001111', null)`.execute(testDb.db);
    await testDb.db
      .insertInto('user_profiles')
      .values({ user_id: userId, first_name: 'Ada', last_name: 'L' })
      .execute();
  });
  afterAll(() => testDb.drop());

  it('rejects an unknown onboarding status, naming the constraint', async () => {
    await expect(
      testDb.db.updateTable('user_profiles').set({ onboarding_status: 'done' }).where('user_id', '=', userId).execute(),
    ).rejects.toThrow(/violates check constraint "user_profiles_onboarding_status_check"/);
  });

  it('rejects an unknown message type and message status', async () => {
    const message = { user_id: userId, phone_number: '+15550001111', content: 'hi' };
    await expect(
      testDb.db
        .insertInto('onboarding_messages')
        .values({ ...message, message_type: 'promo' })
        .execute(),
    ).rejects.toThrow(/onboarding_messages_message_type_check/);
    await expect(
      testDb.db
        .insertInto('onboarding_messages')
        .values({ ...message, message_type: 'welcome', status: 'lost' })
        .execute(),
    ).rejects.toThrow(/onboarding_messages_status_check/);
  });

  it('rejects an unknown SMS direction and call status', async () => {
    await expect(
      testDb.db
        .insertInto('sms_history')
        .values({ phone_number: '+15550001111', message_sid: 'SM1', direction: 'sideways' })
        .execute(),
    ).rejects.toThrow(/sms_history_direction_check/);
    await expect(
      testDb.db
        .insertInto('call_history')
        .values({ phone_number: '+15550001111', call_sid: 'CA1', call_status: 'exploded' })
        .execute(),
    ).rejects.toThrow(/call_history_call_status_check/);
  });

  it.each([
    ['phone_links', '19713364433'],
    ['sms_history', '(971) 336-4433'],
    ['call_history', '+0123'],
    ['onboarding_messages', 'anonymous'],
  ])('rejects a non-E.164 phone number in %s (%s)', async (table, phone) => {
    const values: Record<string, Record<string, unknown>> = {
      phone_links: { phone_number: phone },
      sms_history: { phone_number: phone, message_sid: 'SM2', direction: 'inbound' },
      call_history: { phone_number: phone, call_sid: 'CA2' },
      onboarding_messages: { user_id: userId, phone_number: phone, message_type: 'welcome', content: 'hi' },
    };
    await expect(
      sql`INSERT INTO ${sql.table(table)} ${sql.raw(
        `(${Object.keys(values[table] ?? {}).join(', ')})`,
      )} VALUES (${sql.join(Object.values(values[table] ?? {}))})`.execute(testDb.db),
    ).rejects.toThrow(new RegExp(`violates check constraint "${table}_phone_number_e164_check"`));
  });

  it('maintains updated_at by trigger', async () => {
    const before = await testDb.db
      .selectFrom('user_profiles')
      .select('updated_at')
      .where('user_id', '=', userId)
      .executeTakeFirstOrThrow();
    await testDb.db.updateTable('user_profiles').set({ location: 'Lisbon' }).where('user_id', '=', userId).execute();
    const after = await testDb.db
      .selectFrom('user_profiles')
      .select('updated_at')
      .where('user_id', '=', userId)
      .executeTakeFirstOrThrow();
    expect(after.updated_at.getTime()).toBeGreaterThan(before.updated_at.getTime());
  });
});
