import { randomInt } from 'node:crypto';

/** A random permutation that, for two or more items, always differs from the given order. */
export function shuffled<T>(items: readonly T[]): T[] {
  if (items.length < 2) return [...items];
  for (;;) {
    const out = [...items];
    for (let i = out.length - 1; i > 0; i--) {
      const j = randomInt(i + 1);
      [out[i], out[j]] = [out[j] as T, out[i] as T];
    }
    if (out.some((item, index) => item !== items[index])) return out;
  }
}

/** The order in which events go out: optionally shuffled, and each optionally sent twice in a row. */
export function arrangeEvents<T>(events: readonly T[], options: { shuffle?: boolean; duplicate?: boolean }): T[] {
  const ordered = options.shuffle ? shuffled(events) : [...events];
  return options.duplicate ? ordered.flatMap((event) => [event, event]) : ordered;
}
