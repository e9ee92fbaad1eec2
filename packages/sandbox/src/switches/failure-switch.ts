/** A failure (or a delay) to answer with, for a number of requests or until replaced. */
export class FailureSwitch<S> {
  #failWith: S | undefined;
  #left = 0;

  /** `times` omitted: every request fails until the switch is set again. */
  set(failWith: S | undefined, times?: number): void {
    this.#failWith = failWith;
    this.#left = times ?? Number.POSITIVE_INFINITY;
  }

  /** The failure the current request gets, if any; counts it. */
  take(): S | undefined {
    if (this.#failWith === undefined || this.#left <= 0) return undefined;
    this.#left -= 1;
    return this.#failWith;
  }
}
