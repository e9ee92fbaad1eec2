import type { BotAction } from '@series-killer/shared';
import type { ChatCompletionFunctionTool } from 'openai/resources/chat/completions';
import { z } from 'zod';

const endCall: ChatCompletionFunctionTool = {
  type: 'function',
  function: {
    name: 'end_call',
    description: 'End the call once the caller is done or says goodbye.',
    parameters: {
      type: 'object',
      properties: { goodbye: { type: 'string', description: 'A short goodbye to say before hanging up.' } },
      additionalProperties: false,
    },
  },
};

const transferToHuman: ChatCompletionFunctionTool = {
  type: 'function',
  function: {
    name: 'transfer_to_human',
    description: 'Connect the caller with a person when they ask for one or you cannot help.',
    parameters: { type: 'object', properties: {}, additionalProperties: false },
  },
};

const textCaller: ChatCompletionFunctionTool = {
  type: 'function',
  function: {
    name: 'text_caller',
    description: 'Send the caller an SMS with what you promised them (a link, a title, a date).',
    parameters: {
      type: 'object',
      properties: { message: { type: 'string', description: 'The text of the SMS, at most 600 characters.' } },
      required: ['message'],
      additionalProperties: false,
    },
  },
};

/** The tools offered to the model: transfers only when a number to transfer to is configured. */
export function botTools(options: { transferEnabled: boolean }): ChatCompletionFunctionTool[] {
  return options.transferEnabled ? [endCall, transferToHuman, textCaller] : [endCall, textCaller];
}

const toolArguments = {
  end_call: z.object({ goodbye: z.string().max(300).optional() }),
  transfer_to_human: z.object({}),
  text_caller: z.object({ message: z.string().trim().min(1).max(600) }),
} as const;

/** A tool call the model asked for, with its arguments validated. */
export type ToolCall =
  | { id: string; name: 'end_call'; args: z.output<typeof toolArguments.end_call> }
  | { id: string; name: 'transfer_to_human'; args: z.output<typeof toolArguments.transfer_to_human> }
  | { id: string; name: 'text_caller'; args: z.output<typeof toolArguments.text_caller> };

/** A tool call the model made that names no tool of ours or carries bad arguments. */
export class InvalidToolCallError extends Error {
  constructor(name: string, reason: string, options?: ErrorOptions) {
    super(`invalid call of tool "${name}": ${reason}`, options);
    this.name = 'InvalidToolCallError';
  }
}

function isBotAction(name: string): name is BotAction {
  return name in toolArguments;
}

/** Validates a streamed tool call (name and JSON arguments as the model sent them). */
export function parseToolCall(call: { id: string; name: string; arguments: string }): ToolCall {
  if (!isBotAction(call.name)) throw new InvalidToolCallError(call.name, 'no such tool');
  let json: unknown;
  try {
    json = call.arguments.trim() === '' ? {} : JSON.parse(call.arguments);
  } catch (error) {
    throw new InvalidToolCallError(call.name, 'arguments are not JSON', { cause: error });
  }
  const result = toolArguments[call.name].safeParse(json);
  if (!result.success) throw new InvalidToolCallError(call.name, result.error.message, { cause: result.error });
  return { id: call.id, name: call.name, args: result.data } as ToolCall;
}
