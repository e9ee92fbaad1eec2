/** A demo step that did not reach its condition in time; the message says what it waited for. */
export class StepTimeoutError extends Error {
  constructor(waitedFor: string, timeoutMs: number, options?: ErrorOptions) {
    super(`waited ${timeoutMs / 1000}s for ${waitedFor}`, options);
    this.name = 'StepTimeoutError';
  }
}

/** Polls `check` until it returns a value, or throws StepTimeoutError naming what it waited for. */
export async function waitUntil<T>(
  waitedFor: string,
  check: () => Promise<T | undefined | false>,
  timeoutMs = 30_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  while (Date.now() < deadline) {
    try {
      const value = await check();
      if (value !== undefined && value !== false) return value;
    } catch (error) {
      lastError = error;
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new StepTimeoutError(waitedFor, timeoutMs, { cause: lastError });
}
