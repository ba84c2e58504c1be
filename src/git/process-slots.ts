/**
 * A cap on child processes of one kind (git smart-HTTP, blob reads), so no number of requests can make
 * the server start more than `max` of them: beyond it a request waits in a bounded queue for at most
 * `waitMs`, and beyond the queue it is refused at once with 503 and Retry-After. A slot is held from
 * the spawn to the process's exit and released exactly once.
 */
import { HubError } from "../errors.ts";

export class ProcessSlots {
  readonly max: number;
  readonly queueLength: number;
  readonly waitMs: number;
  #running = 0;
  readonly #waiting: { resolve: (release: () => void) => void; timer: NodeJS.Timeout }[] = [];

  constructor(max: number, queueLength: number, waitMs: number) {
    this.max = max;
    this.queueLength = queueLength;
    this.waitMs = waitMs;
  }

  get running(): number {
    return this.#running;
  }

  get waiting(): number {
    return this.#waiting.length;
  }

  /** Resolves with the slot's release function once one is free; throws Busy past the queue or the wait. */
  acquire(): Promise<() => void> {
    if (this.#running < this.max) return Promise.resolve(this.#grant());
    if (this.#waiting.length >= this.queueLength) return Promise.reject(busy());
    return new Promise((resolve, reject) => {
      const entry = {
        resolve,
        timer: setTimeout(() => {
          const at = this.#waiting.indexOf(entry);
          if (at >= 0) this.#waiting.splice(at, 1);
          reject(busy());
        }, this.waitMs),
      };
      this.#waiting.push(entry);
    });
  }

  #grant(): () => void {
    this.#running++;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.#running--;
      const next = this.#waiting.shift();
      if (next) {
        clearTimeout(next.timer);
        next.resolve(this.#grant());
      }
    };
  }
}

function busy(): HubError {
  return new HubError("Busy", "The server is busy with other git requests; try again shortly", {
    headers: { "Retry-After": "5" },
  });
}
