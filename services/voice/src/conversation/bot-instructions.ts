import type { CallerContext } from '../context/load-caller-context.ts';

/** The persona the bot speaks as when `VOICE_BOT_INSTRUCTIONS` and its file are unset. */
export const DEFAULT_INSTRUCTIONS = [
  'You are the voice assistant of Series Killer, a service that helps people keep up with the TV series they love.',
  'You are on a phone call: answer in one to three short, spoken sentences, without lists, markdown, emoji or URLs read aloud.',
  'Be warm and direct. If you do not know something, say so. Never invent account details.',
  'Use the tools when they fit: end_call when the caller is done, transfer_to_human when they ask for a person,',
  'text_caller to send a link or details they asked for by SMS (only if the caller is known and can receive texts).',
].join(' ');

/** The lines said without the model, so they never depend on it. */
export const SPOKEN = {
  stillThere: 'Are you still there?',
  idleGoodbye: 'It seems you have stepped away. Thanks for calling Series Killer. Goodbye!',
  maxCall: 'We are nearly out of time for this call. Thanks for calling Series Killer. Goodbye!',
  goodbye: 'Thanks for calling Series Killer. Goodbye!',
  transfer: 'Let me connect you with a person. One moment.',
  modelSlow: 'Sorry, give me a second.',
  modelFailedTransfer: 'I am having trouble right now. Let me connect you with a person.',
  modelFailedGoodbye: 'I am sorry, I am having trouble right now. Please call again a little later. Goodbye!',
} as const;

function describeCaller(context: CallerContext): string[] {
  const { user } = context;
  if (!user) return ['The caller is not a known Series Killer user.'];
  const lines = [`The caller is ${user.firstName}, a Series Killer user.`];
  if (user.location) lines.push(`They live in ${user.location}.`);
  if (user.onboardingStatus !== 'completed')
    lines.push(
      `Their sign-up is not finished (status: ${user.onboardingStatus}); they may need help verifying their number.`,
    );
  if (context.smsOptedOut) lines.push('They have opted out of text messages: do not offer to text them.');
  return lines;
}

function describeMemory(context: CallerContext): string[] {
  if (context.memory.length === 0) return [];
  return [
    'What you remember from their latest calls (newest first):',
    ...context.memory.map((call) => {
      const open = call.actionItems.length > 0 ? ` Open items: ${call.actionItems.join('; ')}.` : '';
      return `- ${call.summary}${open}`;
    }),
  ];
}

/** A call we placed: the user did not call, and is told why we call. */
export interface OutboundCallBrief {
  /** What the call is about, as whoever asked for it put it. */
  purpose?: string;
}

function describeOutboundCall(outbound: OutboundCallBrief | undefined): string[] {
  if (!outbound) return [];
  const lines = ['Series Killer placed this call: the user did not call you, so say why you are calling early on.'];
  if (outbound.purpose) lines.push(`The call is about: ${outbound.purpose}`);
  return lines;
}

/** The system message: the configured instructions, then what the bot knows about this caller and call. */
export function systemPrompt(instructions: string, context: CallerContext, outbound?: OutboundCallBrief): string {
  return [
    instructions,
    '',
    ...describeCaller(context),
    ...describeOutboundCall(outbound),
    ...describeMemory(context),
  ].join('\n');
}
