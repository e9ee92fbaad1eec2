import { addJob, type Queues, sendKeyFor } from '@series-killer/shared';
import type { CallerContext } from '../context/load-caller-context.ts';

/** Hands a text the bot promised to the SMS worker. */
export type CallerTexter = (text: {
  callSid: string;
  turn: number;
  to: string;
  body: string;
  userId: string;
}) => Promise<void>;

/** The SMS worker sends it, once per call and turn (its send key), and never to an opted-out number. */
export function queueCallerTexts(queues: Queues): CallerTexter {
  return async ({ callSid, turn, to, body, userId }) => {
    await addJob(queues, 'send-sms', { sendKey: sendKeyFor.voiceBotText(callSid, turn), to, body, userId });
  };
}

/** Whom the bot may text: a known caller on a phone number that has not opted out; else why not. */
export function textRecipient(context: CallerContext): { to: string; userId: string } | { refused: string } {
  if (!context.user || !context.phoneNumber) return { refused: 'the caller is not a known user' };
  if (context.smsOptedOut) return { refused: 'the caller has opted out of text messages' };
  return { to: context.phoneNumber, userId: context.user.id };
}
