/**
 * The memory a process may spend on request bodies held in memory at once (JSON, forms, NDJSON
 * commits, inference inputs), shared by every request. A body reserves what it will cost before it is
 * read when it declares a Content-Length, and as it arrives otherwise; a body that does not fit is
 * refused with 503 and Retry-After instead of pushing the process towards the out-of-memory killer.
 * Bodies that handlers stream to disk or to git (LFS uploads, pushes) do not count: they cost a buffer.
 */
export class BodyBudget {
  readonly capacity: number;
  #used = 0;

  constructor(capacity: number) {
    this.capacity = capacity;
  }

  get used(): number {
    return this.#used;
  }

  /** Takes `bytes` if they fit; false (taking nothing) otherwise. */
  tryReserve(bytes: number): boolean {
    if (bytes > this.capacity - this.#used) return false;
    this.#used += bytes;
    return true;
  }

  release(bytes: number): void {
    this.#used = Math.max(0, this.#used - bytes);
  }
}

/** What one request holds of the budget; released once, whatever ends the request. */
export class BodyLease {
  readonly #budget: BodyBudget;
  readonly #factor: number;
  #held = 0;
  #released = false;

  constructor(budget: BodyBudget, factor: number) {
    this.#budget = budget;
    this.#factor = factor;
  }

  /** The request is over: whatever of its body still arrives is read by no one. */
  get released(): boolean {
    return this.#released;
  }

  /** Makes sure `bodyBytes` of body are covered (bytes × the route's factor); false when they are not. */
  cover(bodyBytes: number): boolean {
    if (this.#released) return false;
    const needed = Math.ceil(bodyBytes * this.#factor);
    if (needed <= this.#held) return true;
    // Grow in steps, so a chunked body does not take the budget for every chunk it sends.
    const want = Math.max(needed, Math.min(this.#held * 2, needed + 4 * 1024 * 1024));
    const extra = want - this.#held;
    if (!this.#budget.tryReserve(extra)) {
      if (!this.#budget.tryReserve(needed - this.#held)) return false;
      this.#held = needed;
      return true;
    }
    this.#held = want;
    return true;
  }

  release(): void {
    if (this.#released) return;
    this.#released = true;
    this.#budget.release(this.#held);
    this.#held = 0;
  }
}
