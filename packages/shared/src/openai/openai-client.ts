import OpenAI from 'openai';
import type { Config } from '../config/load-config.ts';

/**
 * The OpenAI client every service uses; honours `OPENAI_BASE_URL` (the sandbox or any
 * OpenAI-compatible server). `maxRetries` is the SDK's own retry of 429/5xx within one
 * job attempt; BullMQ retries the job beyond that.
 */
export function createOpenAIClient(
  config: Config['openai'],
  options: { maxRetries?: number; timeoutMs?: number } = {},
): OpenAI {
  return new OpenAI({
    apiKey: config.apiKey,
    baseURL: config.baseUrl,
    maxRetries: options.maxRetries ?? 2,
    timeout: options.timeoutMs ?? 60_000,
  });
}
