/**
 * Loaded models by key, least recently used first out, bounded by estimated bytes. The model just
 * asked for is never evicted, so one model larger than the whole budget still runs (alone). A load
 * that fails leaves no entry behind; an evicted model is disposed once its load has settled.
 */
interface Entry<T> {
  readonly value: Promise<T>;
  readonly bytes: number;
}

export class ModelLru<T> {
  readonly #entries = new Map<string, Entry<T>>();
  #bytes = 0;

  constructor(
    readonly budget: number,
    readonly dispose: (value: T) => Promise<void>,
  ) {}

  get bytes(): number {
    return this.#bytes;
  }

  keys(): string[] {
    return [...this.#entries.keys()];
  }

  get(key: string, bytes: number, load: () => Promise<T>): Promise<T> {
    const hit = this.#entries.get(key);
    if (hit) {
      this.#entries.delete(key);
      this.#entries.set(key, hit);
      return hit.value;
    }
    const value = load();
    const entry: Entry<T> = { value, bytes };
    this.#entries.set(key, entry);
    this.#bytes += bytes;
    value.catch(() => this.#drop(key, entry));
    this.#evict(key);
    return value;
  }

  #drop(key: string, entry: Entry<T>): boolean {
    if (this.#entries.get(key) !== entry) return false;
    this.#entries.delete(key);
    this.#bytes -= entry.bytes;
    return true;
  }

  #evict(keep: string): void {
    for (const [key, entry] of this.#entries) {
      if (this.#bytes <= this.budget) return;
      if (key === keep) continue;
      if (this.#drop(key, entry)) {
        entry.value.then(
          (loaded) => this.dispose(loaded),
          () => undefined,
        );
      }
    }
  }
}
