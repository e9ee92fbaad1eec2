import { Writable } from 'node:stream';
import { describe, expect, it } from '@jest/globals';
import { freePort } from '../testing/free-port.ts';
import { createTestConfig } from '../testing/test-config.ts';
import { createTwilioClient } from '../twilio/twilio-client.ts';
import { createLogger } from './logger.ts';

function capture() {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk, _encoding, done) {
      lines.push(chunk.toString());
      done();
    },
  });
  return { lines, logger: createLogger('test', 'info', stream) };
}

describe('createLogger', () => {
  it('masks phone numbers in fields and in messages', () => {
    const { lines, logger } = capture();
    logger.info({ to: '+19713364433', payload: { From: '+447700900123' } }, 'texted +19713364433 back');
    const text = lines.join('');
    expect(text).not.toContain('9713364433');
    expect(text).not.toContain('7700900123');
    expect(text).toContain('+1971***4433');
    expect(text).toContain('texted +1971***4433 back');
  });

  it('redacts secrets, message bodies and codes', () => {
    const { lines, logger } = capture();
    logger.info({
      authToken: 'tok-123',
      body: 'Your code is 123456',
      verificationCode: '123456',
      nested: { password: 'pw' },
    });
    const text = lines.join('');
    for (const secret of ['tok-123', '123456', 'Your code', '"pw"']) expect(text).not.toContain(secret);
    expect(JSON.parse(text).nested.password).toBe('[redacted]');
  });

  it('masks phone numbers inside errors, their details and causes, and keeps error codes', () => {
    const { lines, logger } = capture();
    const uniqueViolation = Object.assign(new Error('duplicate key value violates unique constraint'), {
      code: '23505',
      detail: 'Key (phone_number)=(+19713364433) already exists.',
    });
    const twilioError = Object.assign(
      new Error("The 'To' number +15005550001 is not a valid phone number.", { cause: uniqueViolation }),
      { code: 21211 },
    );
    logger.error({ err: uniqueViolation }, 'insert failed');
    logger.error({ err: twilioError }, 'send failed');
    const text = lines.join('');
    expect(text).not.toContain('5005550001');
    expect(text).not.toContain('9713364433');
    const [insert, send] = lines.map((line) => JSON.parse(line));
    expect(insert.err).toMatchObject({ code: '23505', detail: 'Key (phone_number)=(+1971***4433) already exists.' });
    expect(send.err.code).toBe(21211);
    expect(send.err.message).toContain("The 'To' number +1500***0001 is not a valid phone number.");
    expect(send.err.stack).toContain('+1500***0001');
  });

  it('keeps Twilio SIDs readable', () => {
    const { lines, logger } = capture();
    logger.info(
      { messageSid: 'SM0123456789abcdef0123456789abcdef', callSid: 'CAabcdefabcdefabcdef012345678901' },
      'sent',
    );
    expect(lines.join('')).toContain('SM0123456789abcdef0123456789abcdef');
    expect(lines.join('')).toContain('CAabcdefabcdefabcdef012345678901');
  });
});

describe('createLogger with an SDK error', () => {
  it('logs the Twilio SDK network error by allow-list: no Authorization header, token or Basic credentials', async () => {
    const { twilio } = createTestConfig({ TWILIO_AUTH_TOKEN: 'auth-token-that-must-not-leak' });
    const { accountSid, authToken } = twilio;
    // A real SDK request, sent to a port nobody listens on.
    const client = createTwilioClient({ ...twilio, apiBaseUrl: `http://127.0.0.1:${await freePort()}` });
    const error = await client.messages.list({ limit: 1 }).then(
      () => undefined,
      (failure: unknown) => failure,
    );
    expect(error).toBeInstanceOf(Error);
    const { lines, logger } = capture();
    logger.error({ err: error, nested: { failure: error } }, 'list failed');
    logger.error(error as Error, 'as first argument');
    const text = lines.join('');
    const basic = Buffer.from(`${accountSid}:${authToken}`).toString('base64');
    for (const secret of [authToken, basic, 'Authorization', '_header']) expect(text).not.toContain(secret);
    const record = JSON.parse(lines[0] ?? '{}');
    expect(record.err).toMatchObject({ code: 'ECONNREFUSED', message: expect.stringContaining('ECONNREFUSED') });
  });

  it('keeps HTTP status, Twilio code and the cause chain', () => {
    const { lines, logger } = capture();
    const rest = Object.assign(new Error('Authenticate'), {
      status: 401,
      code: 20003,
      moreInfo: 'https://www.twilio.com/docs/errors/20003',
      config: { headers: { Authorization: 'Basic c2VjcmV0' } },
    });
    logger.error({ err: new Error('send failed', { cause: rest }) }, 'failed');
    const record = JSON.parse(lines[0] ?? '{}');
    expect(record.err.cause).toMatchObject({ status: 401, code: 20003, message: 'Authenticate' });
    expect(lines[0]).not.toContain('c2VjcmV0');
  });
});
