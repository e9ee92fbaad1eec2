/** An append-only in-memory log that keeps only the newest `capacity` entries. */
export class BoundedLog<T> {
  readonly #capacity: number;
  #entries = new Map<number, T>();
  #next = 0;

  constructor(capacity: number) {
    this.#capacity = capacity;
  }

  push(entry: T): void {
    this.#entries.set(this.#next++, entry);
    if (this.#entries.size > this.#capacity) this.#entries.delete(this.#next - 1 - this.#capacity);
  }

  toArray(): T[] {
    return [...this.#entries.values()];
  }

  get size(): number {
    return this.#entries.size;
  }

  clear(): void {
    this.#entries.clear();
  }
}
