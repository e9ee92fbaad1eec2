/** A global mode plus rules for single `To` numbers, which override it field by field. */
export class ModesByNumber<M extends object> {
  #global: M = {} as M;
  #byTo = new Map<string, M>();

  /** Replaces the global mode; `{}` restores the defaults. */
  setGlobal(mode: M): void {
    this.#global = { ...mode };
  }

  /** Sets (or, with undefined, removes) the rule for one number. */
  setFor(to: string, mode: M | undefined): void {
    if (mode === undefined) this.#byTo.delete(to);
    else this.#byTo.set(to, { ...mode });
  }

  /** The global mode with the number's rule laid over it. */
  protected merged(to: string): M {
    return { ...this.#global, ...this.#byTo.get(to) };
  }

  reset(): void {
    this.#global = {} as M;
    this.#byTo.clear();
  }
}
