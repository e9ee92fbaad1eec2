import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { SANDBOX_DEFAULTS } from '@series-killer/shared';
import { createOpenAIClient } from '@series-killer/shared/openai';
import { waitFor } from '@series-killer/shared/testing';
import OpenAI from 'openai';
import { type Sandbox, startSandbox } from '../sandbox.ts';

let sandbox: Sandbox;
let openai: OpenAI;

const tools: OpenAI.ChatCompletionFunctionTool[] = [
  {
    type: 'function',
    function: {
      name: 'end_call',
      description: 'End the call after saying goodbye.',
      parameters: { type: 'object', properties: { reason: { type: 'string' } }, required: ['reason'] },
    },
  },
  {
    type: 'function',
    function: { name: 'transfer_to_human', parameters: { type: 'object', properties: {} } },
  },
  {
    type: 'function',
    function: {
      name: 'text_caller',
      parameters: {
        type: 'object',
        additionalProperties: false,
        properties: { message: { type: 'string', maxLength: 160 }, link: { type: 'string', format: 'uri' } },
        required: ['message', 'link'],
      },
    },
  },
];

beforeAll(async () => {
  sandbox = await startSandbox({ accountSid: SANDBOX_DEFAULTS.twilioAccountSid, authToken: 'x' });
  openai = createOpenAIClient(
    { apiKey: SANDBOX_DEFAULTS.openaiApiKey, baseUrl: `${sandbox.url}/v1`, model: 'gpt-4o-mini' },
    { maxRetries: 0 },
  );
});

afterAll(async () => {
  await sandbox.close();
});

beforeEach(() => {
  sandbox.reset();
});

function conversation(line: string): OpenAI.ChatCompletionMessageParam[] {
  return [
    { role: 'system', content: 'You are a friendly phone assistant.' },
    { role: 'user', content: line },
  ];
}

describe('streamed chat completions', () => {
  it('sends server-sent chunks as OpenAI does: role first, word tokens, finish_reason, usage, [DONE]', async () => {
    const response = await fetch(`${sandbox.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${SANDBOX_DEFAULTS.openaiApiKey}` },
      body: JSON.stringify({
        model: 'gpt-4o-mini',
        messages: conversation('My order is late.'),
        stream: true,
        stream_options: { include_usage: true },
      }),
    });
    expect(response.headers.get('content-type')).toMatch(/^text\/event-stream/);
    const events = (await response.text()).split('\n\n').filter(Boolean);
    expect(events.every((e) => e.startsWith('data: '))).toBe(true);
    expect(events.at(-1)).toBe('data: [DONE]');
    const chunks = events.slice(0, -1).map((e) => JSON.parse(e.slice('data: '.length)) as OpenAI.ChatCompletionChunk);
    expect(new Set(chunks.map((c) => c.id)).size).toBe(1);
    expect(chunks.every((c) => c.object === 'chat.completion.chunk' && c.model === 'gpt-4o-mini')).toBe(true);
    expect(chunks[0]?.choices[0]?.delta).toEqual({ role: 'assistant', content: '', refusal: null });
    const usage = chunks.at(-1);
    expect(usage?.choices).toEqual([]);
    expect(usage?.usage?.completion_tokens).toBe(chunks.length - 3);
    const last = chunks.at(-2);
    expect(last?.choices[0]).toEqual({ index: 0, delta: {}, logprobs: null, finish_reason: 'stop' });
    expect(chunks.slice(0, -1).every((c) => c.usage === null)).toBe(true);
    const tokens = chunks.slice(1, -2).map((c) => c.choices[0]?.delta.content);
    expect(tokens.length).toBeGreaterThan(5);
    expect(tokens.join('')).toBe(
      'You said: My order is late. I can help you with that. Is there anything else you would like to know?',
    );
  });

  it('is read by the SDK token by token, the first after firstTokenMs', async () => {
    sandbox.setOpenAIMode({ firstTokenMs: 50, interTokenMs: 2 });
    const started = performance.now();
    const stream = await openai.chat.completions.create({
      model: 'gpt-4o-mini',
      messages: conversation('Hello there'),
      stream: true,
    });
    let firstTokenAfter: number | undefined;
    let text = '';
    let finish: string | null = null;
    for await (const chunk of stream) {
      const content = chunk.choices[0]?.delta.content;
      if (content) firstTokenAfter ??= performance.now() - started;
      text += content ?? '';
      finish = chunk.choices[0]?.finish_reason ?? finish;
    }
    expect(text).toMatch(/^You said: Hello there\. /);
    expect(finish).toBe('stop');
    expect(firstTokenAfter).toBeGreaterThanOrEqual(49);
    expect(sandbox.openaiStreams()).toMatchObject({ active: 0, completed: 1, aborted: 0 });
  });

  it('stops a stream at once when the client aborts it, leaving nothing running', async () => {
    sandbox.setOpenAIMode({ interTokenMs: 20 });
    const controller = new AbortController();
    const stream = await openai.chat.completions.create(
      { model: 'gpt-4o-mini', messages: conversation('Tell me about my account balance please'), stream: true },
      { signal: controller.signal },
    );
    let received = 0;
    // The SDK ends the iteration quietly when its own signal aborts it.
    for await (const chunk of stream) {
      if (chunk.choices[0]?.delta.content) received += 1;
      if (received === 3) controller.abort();
    }
    expect(received).toBe(3);

    const stats = await waitFor('the stream to be aborted', () => {
      const snapshot = sandbox.openaiStreams();
      return snapshot.aborted === 1 && snapshot.active === 0 && snapshot;
    });
    expect(stats.completed).toBe(0);
    expect(stats.tokensAfterAbort).toBe(0);
    expect(stats.aborts[0]?.tokensWritten).toBeGreaterThanOrEqual(3);
    expect(stats.aborts[0]?.tokensWritten).toBeLessThan(stats.aborts[0]?.tokensPlanned ?? 0);
  });

  it('calls end_call for a goodbye, streamed as OpenAI streams tool calls', async () => {
    const stream = openai.chat.completions.stream({
      model: 'gpt-4o-mini',
      messages: conversation('That is all, thanks. Goodbye!'),
      tools,
    });
    const chunks: OpenAI.ChatCompletionChunk[] = [];
    stream.on('chunk', (chunk) => chunks.push(chunk));
    const completion = await stream.finalChatCompletion();

    const choice = completion.choices[0];
    expect(choice?.finish_reason).toBe('tool_calls');
    const call = choice?.message.tool_calls?.[0];
    expect(call).toMatchObject({ id: expect.stringMatching(/^call_/), type: 'function' });
    expect(call?.type === 'function' && call.function.name).toBe('end_call');
    expect(call?.type === 'function' && JSON.parse(call.function.arguments)).toEqual({
      reason: 'That is all, thanks. Goodbye!',
    });
    const argumentDeltas = chunks.filter((c) => c.choices[0]?.delta.tool_calls?.[0]?.function?.arguments);
    expect(argumentDeltas.length).toBeGreaterThan(1);
    expect(chunks[0]?.choices[0]?.delta.tool_calls?.[0]).toMatchObject({
      index: 0,
      id: call?.id,
      type: 'function',
      function: { name: 'end_call', arguments: '' },
    });
  });

  it('texts the caller with arguments valid for the tool’s schema', async () => {
    const completion = await openai.chat.completions
      .stream({ model: 'gpt-4o-mini', messages: conversation('Can you text me the link?'), tools })
      .finalChatCompletion();
    const call = completion.choices[0]?.message.tool_calls?.[0];
    expect(call?.type === 'function' && call.function.name).toBe('text_caller');
    const args = call?.type === 'function' ? (JSON.parse(call.function.arguments) as Record<string, string>) : {};
    expect(Object.keys(args).sort()).toEqual(['link', 'message']);
    expect(() => new URL(args.link ?? '')).not.toThrow();
  });

  it('transfers to a person only when the tool is offered', async () => {
    const asked = conversation('Can I talk to a real person?');
    const offered = await openai.chat.completions.stream({ model: 'm', messages: asked, tools }).finalChatCompletion();
    const call = offered.choices[0]?.message.tool_calls?.[0];
    expect(call?.type === 'function' && call.function.name).toBe('transfer_to_human');

    const without = tools.filter((t) => t.function.name !== 'transfer_to_human');
    const spoken = await openai.chat.completions
      .stream({ model: 'm', messages: asked, tools: without })
      .finalChatCompletion();
    expect(spoken.choices[0]?.finish_reason).toBe('stop');
    expect(spoken.choices[0]?.message.content).toMatch(/^You said: Can I talk to a real person\?/);
  });

  it('says a short line after a tool result', async () => {
    const completion = await openai.chat.completions
      .stream({
        model: 'gpt-4o-mini',
        tools,
        messages: [
          ...conversation('Text me the address'),
          {
            role: 'assistant',
            content: null,
            tool_calls: [{ id: 'call_1', type: 'function', function: { name: 'text_caller', arguments: '{}' } }],
          },
          { role: 'tool', tool_call_id: 'call_1', content: 'sent' },
        ],
      })
      .finalChatCompletion();
    expect(completion.choices[0]?.message.content).toBe('I have just sent you a text message.');
  });

  it('answers the failure switch’s status before a stream starts', async () => {
    sandbox.setOpenAIMode({ failWith: 429, times: 1, retryAfterMs: 10 });
    const failed = openai.chat.completions.create({ model: 'm', messages: conversation('hi'), stream: true });
    await expect(failed).rejects.toBeInstanceOf(OpenAI.RateLimitError);
    const stream = await openai.chat.completions.create({ model: 'm', messages: conversation('hi'), stream: true });
    const chunks: unknown[] = [];
    for await (const chunk of stream) chunks.push(chunk);
    expect(chunks.length).toBeGreaterThan(2);
  });

  it('never sends the first token when hanging, until the client gives up', async () => {
    sandbox.setOpenAIMode({ failWith: 'hang', times: 1 });
    const controller = new AbortController();
    const stream = await openai.chat.completions.create(
      { model: 'm', messages: conversation('hi'), stream: true },
      { signal: controller.signal },
    );
    const chunks: unknown[] = [];
    const reading = (async () => {
      for await (const chunk of stream) chunks.push(chunk);
    })();
    await waitFor('the stream to be waiting', () => sandbox.openaiStreams().active === 1);
    controller.abort();
    await reading;
    expect(chunks).toEqual([]);
    await waitFor('the hung stream to end', () => {
      const snapshot = sandbox.openaiStreams();
      return snapshot.active === 0 && snapshot.aborted === 1;
    });
  });

  it('leaves a request without stream unanswered when hanging', async () => {
    sandbox.setOpenAIMode({ failWith: 'hang', times: 1 });
    const request = openai.chat.completions.create({ model: 'm', messages: conversation('hi') }, { timeout: 200 });
    // The SDK's timeout, surfaced as a connection error.
    await expect(request).rejects.toBeInstanceOf(OpenAI.APIConnectionError);
    expect(sandbox.openaiRequests()).toHaveLength(1);
    const next = await openai.chat.completions.create({ model: 'm', messages: conversation('hi') });
    expect(next.choices[0]?.finish_reason).toBe('stop');
  });

  it('ends the streams still running when the sandbox closes', async () => {
    const own = await startSandbox({ accountSid: SANDBOX_DEFAULTS.twilioAccountSid, authToken: 'x' });
    own.setOpenAIMode({ failWith: 'hang' });
    const client = createOpenAIClient(
      { apiKey: SANDBOX_DEFAULTS.openaiApiKey, baseUrl: `${own.url}/v1`, model: 'm' },
      { maxRetries: 0 },
    );
    const stream = await client.chat.completions.create({ model: 'm', messages: conversation('hi'), stream: true });
    const reading = (async () => {
      for await (const _chunk of stream);
    })();
    await own.close();
    await expect(reading).rejects.toThrow();
    expect(own.openaiStreams()).toMatchObject({ active: 0, aborted: 1 });
  });
});
