/**
 * The pool of inference worker threads (cores − 1, at least one), started on first use. Inference never
 * runs on the main thread, so a burst of model calls leaves the event loop free for the rest of the
 * hub. A job goes to the worker that already holds its model when that worker is not busier than the
 * others, else to the least busy one. The queue is bounded: past it a caller gets 429 with Retry-After
 * (never 503: the JS client retries a 503 forever). A worker that dies fails its jobs and is replaced.
 */
import { availableParallelism } from "node:os";
import { Worker } from "node:worker_threads";
import { HubError } from "../errors.ts";
import type { Job, JobReply, WorkerOptions } from "./worker-protocol.ts";

export interface PoolOptions {
  readonly root: string;
  readonly size?: number;
  /** Total memory budget for loaded models, split evenly between workers. */
  readonly cacheBytes: number;
  readonly timeoutMs: number;
  /** Jobs waiting or running per worker before callers get 429. */
  readonly queuePerWorker?: number;
}

export interface JobResult {
  readonly output: unknown;
  readonly inputTokens: number | undefined;
}

interface Pending {
  resolve(result: JobResult): void;
  reject(error: unknown): void;
  timer: NodeJS.Timeout;
}

interface Slot {
  worker: Worker;
  readonly pending: Map<number, Pending>;
  readonly keys: Set<string>;
}

export function defaultPoolSize(): number {
  return Math.max(1, availableParallelism() - 1);
}

export class WorkerPool {
  readonly #options: PoolOptions;
  readonly #size: number;
  readonly #slots: (Slot | undefined)[];
  #nextId = 1;
  #closed = false;

  constructor(options: PoolOptions) {
    this.#options = options;
    this.#size = Math.max(1, options.size ?? defaultPoolSize());
    this.#slots = Array.from({ length: this.#size }, () => undefined);
  }

  get size(): number {
    return this.#size;
  }

  run(job: Job): Promise<JobResult> {
    if (this.#closed) return Promise.reject(new HubError("Internal", "The inference pool is shut down"));
    const index = this.#choose(job.key);
    const slot = this.#slots[index] ?? this.#spawn(index);
    const limit = this.#options.queuePerWorker ?? 32;
    if (slot.pending.size >= limit) {
      return Promise.reject(
        new HubError("RateLimited", "The inference queue is full; retry in a moment", {
          headers: { "Retry-After": "1" },
        }),
      );
    }
    const id = this.#nextId++;
    slot.keys.add(job.key);
    return new Promise<JobResult>((resolve, reject) => {
      const timer = setTimeout(() => {
        slot.pending.delete(id);
        reject(
          new HubError("Internal", `Inference timed out after ${Math.round(this.#options.timeoutMs / 1000)} s`, {
            status: 504,
          }),
        );
      }, this.#options.timeoutMs);
      slot.pending.set(id, { resolve, reject, timer });
      slot.worker.postMessage({ id, job });
    });
  }

  async close(): Promise<void> {
    this.#closed = true;
    await Promise.all(
      this.#slots.map(async (slot, index) => {
        if (!slot) return;
        this.#slots[index] = undefined;
        this.#fail(slot, new HubError("Internal", "The inference pool is shutting down"));
        await slot.worker.terminate();
      }),
    );
  }

  #choose(key: string): number {
    let best = 0;
    let bestLoad = Number.POSITIVE_INFINITY;
    for (let i = 0; i < this.#size; i++) {
      const slot = this.#slots[i];
      const load = slot?.pending.size ?? 0;
      // Holding the model is worth one queued job: loading it twice costs more than a short wait.
      const score = load - (slot?.keys.has(key) ? 1 : 0);
      if (score < bestLoad) {
        best = i;
        bestLoad = score;
      }
    }
    return best;
  }

  #spawn(index: number): Slot {
    const workerData: WorkerOptions = {
      root: this.#options.root,
      cacheBytes: Math.floor(this.#options.cacheBytes / this.#size),
      intraOpThreads: 1,
    };
    const worker = new Worker(new URL("./worker-entry.mjs", import.meta.url), { workerData });
    const slot: Slot = { worker, pending: new Map(), keys: new Set() };
    worker.on("message", (reply: JobReply | { ready: true }) => {
      if ("ready" in reply) return;
      const pending = slot.pending.get(reply.id);
      if (!pending) return;
      slot.pending.delete(reply.id);
      clearTimeout(pending.timer);
      if (reply.ok) pending.resolve({ output: reply.output, inputTokens: reply.inputTokens });
      else pending.reject(replyError(reply.kind, reply.message));
    });
    const replace = (error: unknown) => {
      if (this.#slots[index] === slot) this.#slots[index] = undefined;
      this.#fail(slot, new HubError("Internal", "The inference worker stopped", { cause: error }));
    };
    worker.on("error", replace);
    worker.on("exit", (code) => replace(new Error(`worker exited with code ${code}`)));
    worker.unref();
    this.#slots[index] = slot;
    return slot;
  }

  #fail(slot: Slot, error: HubError): void {
    for (const pending of slot.pending.values()) {
      clearTimeout(pending.timer);
      pending.reject(error);
    }
    slot.pending.clear();
  }
}

function replyError(kind: "input" | "model" | "internal", message: string): HubError {
  if (kind === "input") return new HubError("BadRequest", message);
  if (kind === "model") return new HubError("Unprocessable", message);
  return new HubError("Internal", "Inference failed", { cause: new Error(message) });
}
