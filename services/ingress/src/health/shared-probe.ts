/**
 * A probe whose answer is shared: a caller gets the last result while it is at most `maxAgeMs`
 * old, else waits for the probe in flight or starts one. However many callers come, at most one
 * probe runs at a time and at most one starts per `maxAgeMs`.
 */
export function shareProbe<T>(probe: () => Promise<T>, maxAgeMs: number, now: () => number = Date.now) {
  let last: { value: T; at: number } | undefined;
  let inFlight: Promise<T> | undefined;
  return (): Promise<T> => {
    if (last && now() - last.at <= maxAgeMs) return Promise.resolve(last.value);
    inFlight ??= probe()
      .then((value) => {
        last = { value, at: now() };
        return value;
      })
      .finally(() => {
        inFlight = undefined;
      });
    return inFlight;
  };
}
