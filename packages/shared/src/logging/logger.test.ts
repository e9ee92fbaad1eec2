import { Writable } from 'node:stream';
import { describe, expect, it } from '@jest/globals';
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
    logger.info({ authToken: 'tok-123', body: 'Your code is 123456', code: '123456', nested: { password: 'pw' } });
    const text = lines.join('');
    for (const secret of ['tok-123', '123456', 'Your code', '"pw"']) expect(text).not.toContain(secret);
    expect(JSON.parse(text).nested.password).toBe('[redacted]');
  });

  it('keeps Twilio SIDs readable', () => {
    const { lines, logger } = capture();
    logger.info({ messageSid: 'SM0123456789abcdef0123456789abcdef' }, 'sent');
    expect(lines.join('')).toContain('SM0123456789abcdef0123456789abcdef');
  });
});
