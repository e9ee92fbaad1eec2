import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { SANDBOX_DEFAULTS } from '@series-killer/shared';
import { createOpenAIClient } from '@series-killer/shared/openai';
import OpenAI from 'openai';
import { type Sandbox, startSandbox } from '../sandbox.ts';

const transcript = [
  'Caller: Hi, this is Dana calling about my delivery.',
  'Agent: Sure, what seems to be the problem with the delivery?',
  'Caller: The package arrived damaged and I would like a replacement sent this week.',
  'Agent: I will arrange a replacement and email you the tracking number today.',
  'Caller: Thanks.',
].join('\n');

let sandbox: Sandbox;
let openai: OpenAI;

beforeAll(async () => {
  sandbox = await startSandbox({ accountSid: SANDBOX_DEFAULTS.twilioAccountSid, authToken: 'x' });
  openai = createOpenAIClient({
    apiKey: SANDBOX_DEFAULTS.openaiApiKey,
    baseUrl: `${sandbox.url}/v1`,
    model: 'gpt-4o-mini',
  });
});

afterAll(async () => {
  await sandbox.close();
});

beforeEach(() => {
  sandbox.setOpenAIMode({});
});

function summarize(client: OpenAI, extra: Partial<OpenAI.ChatCompletionCreateParamsNonStreaming> = {}) {
  return client.chat.completions.create({
    model: 'gpt-4o-mini',
    messages: [
      { role: 'system', content: 'Summarize the call in two sentences.' },
      { role: 'user', content: transcript },
    ],
    ...extra,
  });
}

describe('chat completions', () => {
  it('answers a deterministic extractive summary with realistic usage', async () => {
    const first = await summarize(openai);
    const second = await summarize(openai);

    const content = first.choices[0]?.message.content ?? '';
    expect(content).toBe(second.choices[0]?.message.content);
    expect(content).toContain('The package arrived damaged and I would like a replacement sent this week.');
    expect(content).not.toContain('Caller:');
    expect(first.object).toBe('chat.completion');
    expect(first.id).toMatch(/^chatcmpl-/);
    expect(first.model).toBe('gpt-4o-mini');
    expect(first.choices[0]?.finish_reason).toBe('stop');
    expect(first.usage?.prompt_tokens).toBeGreaterThanOrEqual(Math.ceil(transcript.length / 4));
    expect(first.usage?.completion_tokens).toBe(Math.ceil(content.length / 4));
    expect(first.usage?.total_tokens).toBe((first.usage?.prompt_tokens ?? 0) + (first.usage?.completion_tokens ?? 0));
    expect(sandbox.openaiRequests().at(-1)).toMatchObject({ model: 'gpt-4o-mini' });
  });

  it('answers JSON valid for a structured-output schema', async () => {
    const completion = await summarize(openai, {
      response_format: {
        type: 'json_schema',
        json_schema: {
          name: 'call_analysis',
          strict: true,
          schema: {
            type: 'object',
            additionalProperties: false,
            required: ['summary', 'topics', 'action_items', 'sentiment', 'follow_up_needed', 'score', 'contact'],
            properties: {
              summary: { type: 'string' },
              topics: { type: 'array', items: { type: 'string' } },
              action_items: { type: 'array', items: { $ref: '#/$defs/action' }, minItems: 1 },
              sentiment: { type: 'string', enum: ['positive', 'neutral', 'negative'] },
              follow_up_needed: { type: 'boolean' },
              score: { type: 'integer', minimum: 1, maximum: 5 },
              contact: { anyOf: [{ type: 'null' }, { type: 'string', maxLength: 10 }] },
            },
            $defs: {
              action: {
                type: 'object',
                additionalProperties: false,
                required: ['text', 'owner'],
                properties: { text: { type: 'string' }, owner: { type: ['string', 'null'] } },
              },
            },
          },
        },
      },
    });

    const parsed = JSON.parse(completion.choices[0]?.message.content ?? '') as Record<string, unknown>;
    expect(parsed).toEqual({
      summary: expect.any(String),
      topics: expect.any(Array),
      action_items: expect.any(Array),
      sentiment: 'positive',
      follow_up_needed: false,
      score: 1,
      contact: expect.any(String),
    });
    expect((parsed.topics as string[]).length).toBeGreaterThan(0);
    expect((parsed.action_items as { text: string; owner: string }[])[0]).toEqual({
      text: expect.any(String),
      owner: expect.any(String),
    });
    expect((parsed.contact as string).length).toBeLessThanOrEqual(10);
  });

  it('makes the SDK retry a 429 (honouring retry-after) and then succeed', async () => {
    sandbox.setOpenAIMode({ failWith: 429, times: 2, retryAfterMs: 10 });
    const before = sandbox.openaiRequests().length;
    const completion = await summarize(openai);
    expect(completion.choices[0]?.message.content).toEqual(expect.any(String));
    expect(sandbox.openaiRequests().length - before).toBe(3);
  });

  it('surfaces the 429 as RateLimitError when retries are off', async () => {
    sandbox.setOpenAIMode({ failWith: 429, retryAfterMs: 10 });
    const noRetry = createOpenAIClient(
      { apiKey: SANDBOX_DEFAULTS.openaiApiKey, baseUrl: `${sandbox.url}/v1`, model: 'gpt-4o-mini' },
      { maxRetries: 0 },
    );
    const error = await summarize(noRetry).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(OpenAI.RateLimitError);
    expect((error as InstanceType<typeof OpenAI.RateLimitError>).status).toBe(429);
    expect((error as InstanceType<typeof OpenAI.RateLimitError>).code).toBe('rate_limit_exceeded');
    expect((error as InstanceType<typeof OpenAI.RateLimitError>).headers.get('retry-after')).toBe('1');
  });

  it('answers 500 and 400 as OpenAI does', async () => {
    const noRetry = createOpenAIClient(
      { apiKey: SANDBOX_DEFAULTS.openaiApiKey, baseUrl: `${sandbox.url}/v1`, model: 'gpt-4o-mini' },
      { maxRetries: 0 },
    );
    sandbox.setOpenAIMode({ failWith: 500, times: 1 });
    await expect(summarize(noRetry)).rejects.toBeInstanceOf(OpenAI.InternalServerError);

    const invalid = noRetry.chat.completions.create({ model: 'gpt-4o-mini', messages: [] });
    await expect(invalid).rejects.toBeInstanceOf(OpenAI.BadRequestError);
  });

  it('refuses a prompt longer than the context window with context_length_exceeded', async () => {
    sandbox.setOpenAIMode({ contextWindowTokens: 20 });
    const error = await summarize(openai).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(OpenAI.BadRequestError);
    expect((error as InstanceType<typeof OpenAI.BadRequestError>).code).toBe('context_length_exceeded');
  });

  it('cuts plain text at max_tokens with finish_reason length', async () => {
    const completion = await summarize(openai, { max_tokens: 5 });
    expect(completion.choices[0]?.finish_reason).toBe('length');
    expect(completion.usage?.completion_tokens).toBeLessThanOrEqual(5);
  });
});
