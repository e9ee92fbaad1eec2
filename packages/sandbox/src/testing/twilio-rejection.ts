import { expect } from '@jest/globals';
import twilio from 'twilio';

/** The error the Twilio SDK rejected `promise` with, checked to be its RestException (status, code, message). */
export async function twilioRejectionOf(promise: Promise<unknown>): Promise<InstanceType<typeof twilio.RestException>> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(twilio.RestException);
  return error as InstanceType<typeof twilio.RestException>;
}
