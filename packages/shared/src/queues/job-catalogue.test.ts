import { describe, expect, it } from '@jest/globals';
import { PayloadValidationError } from '../errors/errors.ts';
import { parseJobData } from './queues.ts';

const MESSAGE_SID = `SM${'a'.repeat(32)}`;

function statusJob(raw: unknown) {
  return {
    callbacks: [
      { messageSid: MESSAGE_SID, status: 'delivered', errorCode: null, raw, receivedAt: '2026-12-02T08:00:00.000Z' },
    ],
  };
}

describe("the catalogue's status callbacks", () => {
  it('keep their form parameters as given, a repeated one as its list', () => {
    const raw = { MessageSid: MESSAGE_SID, MessageStatus: 'delivered', 'Binding.Address': ['+15005550006', '+1500'] };
    const [callback] = parseJobData('apply-sms-statuses', statusJob(raw)).callbacks;
    expect(callback?.raw).toEqual(raw);
  });

  it.each([
    ['a number', { MessageSid: MESSAGE_SID, ErrorCode: 30_003 }],
    ['a nested object', { MessageSid: MESSAGE_SID, Extra: { nested: 'x' } }],
    ['a list holding a number', { MessageSid: MESSAGE_SID, To: ['+15005550006', 1] }],
    ['a list of parameters', [MESSAGE_SID]],
    ['null', null],
    ['text', 'MessageSid=SM1'],
  ])('refuse form parameters that are %s, naming the field', (_what, raw) => {
    const parse = () => parseJobData('apply-sms-statuses', statusJob(raw));
    expect(parse).toThrow(PayloadValidationError);
    expect(parse).toThrow('callbacks.0.raw must be form parameters: text, or lists of text');
  });
});
