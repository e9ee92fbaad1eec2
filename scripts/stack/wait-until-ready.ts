import { setTimeout as sleep } from 'node:timers/promises';

/** Polls `url` until it answers 2xx (true) or `withinMs` has passed (false). */
export async function waitUntilReady(url: string, withinMs: number): Promise<boolean> {
  const deadline = Date.now() + withinMs;
  while (Date.now() < deadline) {
    const answer = await fetch(url, { signal: AbortSignal.timeout(2_000) }).catch(() => undefined);
    if (answer?.ok) return true;
    await sleep(250);
  }
  return false;
}
