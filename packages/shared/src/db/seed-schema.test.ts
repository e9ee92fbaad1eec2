import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { sql } from 'kysely';
import { createTestDatabase, type TestDatabase } from '../testing/test-database.ts';

/**
 * The six tables of the production Supabase schema document, transcribed column by column:
 * [name, type, nullable, default]. `id` is always a BIGINT identity (BY DEFAULT) primary key.
 */
const SEED: Record<string, { columns: [string, string, boolean, string | null][]; unique: string[]; fk: string[] }> = {
  phone_links: {
    columns: [
      ['id', 'bigint', false, null],
      ['user_id', 'uuid', true, null],
      ['phone_number', 'text', false, null],
      ['verified', 'boolean', true, 'false'],
      ['verification_code', 'text', true, null],
      ['verification_attempts', 'integer', true, '0'],
      ['last_verification_attempt', 'timestamp with time zone', true, null],
      ['created_at', 'timestamp with time zone', false, 'now()'],
      ['updated_at', 'timestamp with time zone', false, 'now()'],
    ],
    unique: ['phone_number'],
    fk: ['user_id'],
  },
  preferences: {
    columns: [
      ['id', 'bigint', false, null],
      ['user_id', 'uuid', false, null],
      ['voice_preference', 'text', true, null],
      ['created_at', 'timestamp with time zone', false, 'now()'],
      ['updated_at', 'timestamp with time zone', false, 'now()'],
    ],
    unique: ['user_id'],
    fk: ['user_id'],
  },
  call_history: {
    columns: [
      ['id', 'bigint', false, null],
      ['user_id', 'uuid', true, null],
      ['phone_number', 'text', false, null],
      ['call_sid', 'text', false, null],
      ['call_status', 'text', true, null],
      ['duration', 'integer', true, null],
      ['transcript', 'text', true, null],
      ['summary', 'text', true, null],
      ['created_at', 'timestamp with time zone', false, 'now()'],
    ],
    unique: ['call_sid'],
    fk: ['user_id'],
  },
  sms_history: {
    columns: [
      ['id', 'bigint', false, null],
      ['user_id', 'uuid', true, null],
      ['phone_number', 'text', false, null],
      ['message_sid', 'text', false, null],
      ['direction', 'text', false, null],
      ['content', 'text', true, null],
      ['created_at', 'timestamp with time zone', false, 'now()'],
    ],
    unique: ['message_sid'],
    fk: ['user_id'],
  },
  user_profiles: {
    columns: [
      ['id', 'bigint', false, null],
      ['user_id', 'uuid', false, null],
      ['first_name', 'text', false, null],
      ['last_name', 'text', false, null],
      ['location', 'text', true, null],
      ['onboarding_status', 'text', false, "'pending'::text"],
      ['phone_verified', 'boolean', true, 'false'],
      ['onboarding_sent_at', 'timestamp with time zone', true, null],
      ['onboarding_completed_at', 'timestamp with time zone', true, null],
      ['created_at', 'timestamp with time zone', false, 'now()'],
      ['updated_at', 'timestamp with time zone', false, 'now()'],
    ],
    unique: ['user_id'],
    fk: ['user_id'],
  },
  onboarding_messages: {
    columns: [
      ['id', 'bigint', false, null],
      ['user_id', 'uuid', false, null],
      ['phone_number', 'text', false, null],
      ['message_type', 'text', false, null],
      ['message_sid', 'text', true, null],
      ['status', 'text', true, "'pending'::text"],
      ['content', 'text', false, null],
      ['sent_at', 'timestamp with time zone', true, null],
      ['delivered_at', 'timestamp with time zone', true, null],
      ['error_message', 'text', true, null],
      ['created_at', 'timestamp with time zone', false, 'now()'],
    ],
    unique: [],
    fk: ['user_id'],
  },
};

describe('the six seed tables match the production schema document', () => {
  let testDb: TestDatabase;
  beforeAll(async () => {
    testDb = await createTestDatabase();
  });
  afterAll(() => testDb.drop());

  it.each(Object.keys(SEED))('%s: columns, types, nullability and defaults', async (table) => {
    const { rows } = await sql<{
      column_name: string;
      data_type: string;
      is_nullable: 'YES' | 'NO';
      column_default: string | null;
      is_identity: 'YES' | 'NO';
      identity_generation: string | null;
    }>`
      SELECT column_name, data_type, is_nullable, column_default, is_identity, identity_generation
      FROM information_schema.columns WHERE table_schema = 'public' AND table_name = ${table}
      ORDER BY ordinal_position`.execute(testDb.db);
    const expected = SEED[table]?.columns ?? [];
    expect(rows.map((r) => [r.column_name, r.data_type, r.is_nullable === 'YES', r.column_default])).toEqual(expected);
    const identity = rows.filter((r) => r.is_identity === 'YES');
    expect(identity.map((r) => [r.column_name, r.identity_generation])).toEqual([['id', 'BY DEFAULT']]);
  });

  it.each(Object.keys(SEED))('%s: primary key, unique and foreign keys to auth.users(id)', async (table) => {
    const { rows } = await sql<{ contype: string; columns: string; definition: string }>`
      SELECT c.contype, string_agg(a.attname, ',' ORDER BY a.attname) AS columns, pg_get_constraintdef(c.oid) AS definition
      FROM pg_constraint c
      JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = ANY (c.conkey)
      WHERE c.conrelid = ${`public.${table}`}::regclass AND c.contype IN ('p', 'u', 'f')
      GROUP BY c.oid, c.contype`.execute(testDb.db);
    const byType = (type: string) =>
      rows
        .filter((r) => r.contype === type)
        .map((r) => r.columns)
        .sort();
    expect(byType('p')).toEqual(['id']);
    expect(byType('u')).toEqual(SEED[table]?.unique);
    expect(byType('f')).toEqual(SEED[table]?.fk);
    for (const fk of rows.filter((r) => r.contype === 'f')) {
      expect(fk.definition).toBe('FOREIGN KEY (user_id) REFERENCES auth.users(id)');
    }
  });

  it('has row level security enabled on every public table', async () => {
    const { rows } = await sql<{ relname: string; relrowsecurity: boolean }>`
      SELECT relname, relrowsecurity FROM pg_class
      WHERE relnamespace = 'public'::regnamespace AND relkind = 'r' ORDER BY relname`.execute(testDb.db);
    expect(rows.length).toBeGreaterThanOrEqual(11);
    expect(rows.filter((r) => !r.relrowsecurity).map((r) => r.relname)).toEqual([]);
  });
});
