import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createTestDatabase, type TestDatabase } from '../testing/test-database.ts';
import { generateDatabaseTypes } from './generate-types.ts';

describe('generated database types', () => {
  let testDb: TestDatabase;
  beforeAll(async () => {
    testDb = await createTestDatabase();
  });
  afterAll(() => testDb.drop());

  it('match the migrated schema (run `npm run db:codegen` after changing a migration)', async () => {
    await expect(generateDatabaseTypes(testDb.url, { verify: true })).resolves.toBeUndefined();
  });
});
