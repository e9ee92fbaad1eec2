import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { authUsersFor, eraseUser } from '@series-killer/ingress/erasure';
import { startTestStack, type TestStack } from '@series-killer/sandbox/testing';
import { createLogger, type Db, type JobData } from '@series-killer/shared';
import { fakeSid } from '@series-killer/shared/testing';
import { createUser } from '../testing/sms-fixtures.ts';
import { recordInboundSms } from './record-inbound-sms.ts';

let stack: TestStack;
let db: Db;

beforeAll(async () => {
  stack = await startTestStack();
  db = stack.testDb.db;
});

afterAll(async () => {
  await stack.close();
});

describe('an inbound SMS of an erased user', () => {
  it('is not recorded again when replayed after the erasure', async () => {
    const user = await createUser(db);
    const message: JobData<'record-inbound-sms'> = {
      messageSid: fakeSid('SM'),
      accountSid: fakeSid('AC'),
      from: user.phoneNumber,
      to: '+15005550006',
      body: 'I live at 12 Acacia Avenue',
      numMedia: 0,
      numSegments: 1,
      receivedAt: new Date().toISOString(),
    };
    const deps = { db, queues: stack.queues };
    await recordInboundSms(deps, message);
    const logger = createLogger('erasure-test', 'silent');
    await eraseUser({ ...deps, logger, authUsers: await authUsersFor(stack.config, db) }, { userId: user.userId });

    await expect(recordInboundSms(deps, message)).resolves.toEqual({ outcome: 'duplicate', intent: 'message' });

    const rows = await db.selectFrom('sms_history').select('id').where('phone_number', '=', user.phoneNumber).execute();
    expect(rows).toEqual([]);
  });
});
