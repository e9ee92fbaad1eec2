import { setTimeout as sleep } from 'node:timers/promises';
import type { Response } from 'express';
import {
  type ChatCompletionRequest,
  completionLimit,
  newCompletionId,
  newToolCallId,
  usageOf,
} from './chat-completion.ts';
import { argumentPieces, type ConversationReply, wordTokens } from './conversation-reply.ts';
import type { StreamStats } from './stream-stats.ts';

/** How a stream paces its tokens. */
export interface StreamTiming {
  /** From the headers to the first token, in ms. */
  firstTokenMs: number;
  /** Between two tokens, in ms. */
  interTokenMs: number;
  /** Never send the first token: the stream waits until its client gives up. */
  hang: boolean;
}

type Delta = Record<string, unknown>;

/** The deltas of one answer: the opening one (with `role`), one per token, and how it finishes. */
function deltasOf(
  answer: ConversationReply,
  limit: number | undefined,
): { opening: Delta; tokens: Delta[]; finishReason: string } {
  if (answer.kind === 'tool_call') {
    const call = { index: 0, id: newToolCallId(), type: 'function', function: { name: answer.name, arguments: '' } };
    return {
      opening: { role: 'assistant', content: null, tool_calls: [call], refusal: null },
      tokens: argumentPieces(answer.arguments).map((piece) => ({
        tool_calls: [{ index: 0, function: { arguments: piece } }],
      })),
      finishReason: 'tool_calls',
    };
  }
  const all = wordTokens(answer.text);
  const tokens = limit === undefined ? all : all.slice(0, limit);
  return {
    opening: { role: 'assistant', content: '', refusal: null },
    tokens: tokens.map((content) => ({ content })),
    finishReason: tokens.length < all.length ? 'length' : 'stop',
  };
}

function pause(ms: number, signal: AbortSignal): Promise<void> {
  return ms > 0 ? sleep(ms, undefined, { signal }) : Promise.resolve();
}

/** Longest a Node timer can wait (about 24.8 days): "never", for a stream that hangs. */
const FOREVER_MS = 2 ** 31 - 1;

/**
 * Streams `answer` as OpenAI streams a chat completion: server-sent `chat.completion.chunk`
 * events (the first with `role`, then one token each, then `finish_reason`), a usage chunk
 * when `stream_options.include_usage` is set, and `data: [DONE]`. The client going away stops
 * the stream at once: its pending timer is cancelled and nothing more is written.
 */
export async function streamChatCompletion(
  res: Response,
  body: ChatCompletionRequest,
  answer: ConversationReply,
  promptTokenCount: number,
  timing: StreamTiming,
  stats: StreamStats,
): Promise<void> {
  const includeUsage = body.stream_options?.include_usage === true;
  const base = {
    id: newCompletionId(),
    object: 'chat.completion.chunk',
    created: Math.floor(Date.now() / 1000),
    model: String(body.model),
    service_tier: 'default',
    system_fingerprint: 'fp_sandbox',
  };
  const event = (choices: unknown[], usage: unknown = null) =>
    `data: ${JSON.stringify(includeUsage ? { ...base, choices, usage } : { ...base, choices })}\n\n`;
  const choice = (delta: Delta, finishReason: string | null = null) => ({
    index: 0,
    delta,
    logprobs: null,
    finish_reason: finishReason,
  });
  const { opening, tokens, finishReason } = deltasOf(answer, completionLimit(body));

  // The sandbox closing destroys its connections, so this also ends streams when it closes.
  const gone = new AbortController();
  const { signal } = gone;
  let written = 0;
  let finished = false;
  res.once('close', () => {
    if (!finished) {
      stats.recordAbort({
        id: base.id,
        abortedAt: performance.timeOrigin + performance.now(),
        tokensWritten: written,
        tokensPlanned: tokens.length,
      });
    }
    gone.abort();
  });
  const writeToken = (frame: string) => {
    if (signal.aborted) {
      stats.tokensAfterAbort += 1;
      return;
    }
    res.write(frame);
    written += 1;
  };

  res.status(200).set({ 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache' });
  res.flushHeaders();
  stats.active += 1;
  try {
    await pause(timing.hang ? FOREVER_MS : timing.firstTokenMs, signal);
    res.write(event([choice(opening)]));
    for (const [index, delta] of tokens.entries()) {
      if (index > 0) await pause(timing.interTokenMs, signal);
      writeToken(event([choice(delta)]));
    }
    if (signal.aborted) return;
    res.write(event([choice({}, finishReason)]));
    if (includeUsage) res.write(event([], usageOf(promptTokenCount, tokens.length)));
    finished = true;
    res.end('data: [DONE]\n\n');
    stats.completed += 1;
  } catch (error) {
    // A cancelled pause is the client going away, which ends the stream.
    if (!signal.aborted) throw error;
  } finally {
    stats.active -= 1;
  }
}
