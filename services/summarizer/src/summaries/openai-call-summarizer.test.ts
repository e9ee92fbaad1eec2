import { describe, expect, it } from '@jest/globals';
import { isDependencyUnavailable } from '@series-killer/shared';
import { freePort } from '@series-killer/shared/testing';
import OpenAI, { type APIError } from 'openai';
import { SummarizerRateLimitedError, SummarizerRequestRejectedError } from './call-summarizer.ts';
import { translateOpenAIError } from './openai-call-summarizer.ts';

/** The error the SDK raises for a 429 with OpenAI's error body. */
function tooManyRequests(code: string, message: string): APIError {
  return OpenAI.APIError.generate(
    429,
    { error: { message, type: code, param: null, code } },
    undefined,
    new Headers({ 'retry-after-ms': '2000' }),
  );
}

describe('translateOpenAIError', () => {
  it('rejects for good a 429 for an exhausted quota, with the API message', () => {
    const quotaMessage = 'You exceeded your current quota, please check your plan and billing details.';

    const translated = translateOpenAIError(tooManyRequests('insufficient_quota', quotaMessage));

    expect(translated).toBeInstanceOf(SummarizerRequestRejectedError);
    expect((translated as Error).message).toContain(quotaMessage);
  });

  it('waits out a 429 for the rate, for as long as OpenAI asks', () => {
    const translated = translateOpenAIError(tooManyRequests('rate_limit_exceeded', 'Rate limit reached.'));

    expect(translated).toBeInstanceOf(SummarizerRateLimitedError);
    expect((translated as SummarizerRateLimitedError).retryAfterMs).toBe(2000);
  });

  it('makes an OpenAI that cannot be reached, timeouts included, a dependency the job waits for', async () => {
    const closed = await freePort();
    const unreachable = new OpenAI({ apiKey: 'sk-test', baseURL: `http://127.0.0.1:${closed}/v1`, maxRetries: 0 });
    const refused = await unreachable.models.list().catch((error: unknown) => error);
    expect(isDependencyUnavailable(translateOpenAIError(refused))).toBe(true);
    expect(isDependencyUnavailable(translateOpenAIError(new OpenAI.APIConnectionTimeoutError()))).toBe(true);
    expect(isDependencyUnavailable(translateOpenAIError(tooManyRequests('insufficient_quota', 'quota')))).toBe(false);
  });
});
