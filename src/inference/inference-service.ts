/**
 * What the inference routes share for the life of one server: the embedded runner (its worker pool
 * starts on the first embedded call), the upstream table (re-read at most once a second, so an
 * `inference add-upstream` from the CLI reaches every running process within a second), and the
 * per-token rate limit and usage records.
 */

import type { Principal } from "../auth/principal.ts";
import type { Context } from "../context.ts";
import { HubError } from "../errors.ts";
import {
  countCall,
  findTokenRateLimit,
  insertUsage,
  listUpstreams,
  pruneRateWindows,
  type Upstream,
} from "../store/inference.ts";
import { EmbeddedRunner } from "./embedded-runner.ts";
import { DEFAULT_MAX_MODEL_BYTES, ModelFiles } from "./model-files.ts";
import { openSecret } from "./secret-box.ts";
import { findUpstream } from "./upstream.ts";
import { WorkerPool } from "./worker-pool.ts";

export interface InferenceOptions {
  /** Worker threads; default cores − 1, at least 1. */
  readonly workers?: number;
  /** Memory budget for loaded models across workers. */
  readonly cacheBytes?: number;
  readonly maxModelBytes?: number;
  /** Embedded inference time limit per call. */
  readonly timeoutMs?: number;
  /** Largest request body on the inference routes. */
  readonly bodyLimit?: number;
}

export const DEFAULT_INFERENCE_BODY_LIMIT = 16 * 1024 * 1024;
const UPSTREAM_TTL_MS = 1000;

export class InferenceService {
  readonly runner: EmbeddedRunner;
  readonly bodyLimit: number;
  #upstreams: { at: number; list: Promise<Upstream[]> } | undefined;
  #calls = 0;

  constructor(
    readonly ctx: Context,
    options: InferenceOptions = {},
  ) {
    const files = new ModelFiles(ctx.config.dataDir, options.maxModelBytes ?? DEFAULT_MAX_MODEL_BYTES);
    const pool = new WorkerPool({
      root: files.root,
      ...(options.workers ? { size: options.workers } : {}),
      cacheBytes: options.cacheBytes ?? 1024 ** 3,
      timeoutMs: options.timeoutMs ?? 60_000,
    });
    this.runner = new EmbeddedRunner(files, pool);
    this.bodyLimit = options.bodyLimit ?? DEFAULT_INFERENCE_BODY_LIMIT;
  }

  async upstreamFor(repoId: string): Promise<{ upstream: Upstream; apiKey: string | undefined } | undefined> {
    const now = Date.now();
    if (!this.#upstreams || now - this.#upstreams.at > UPSTREAM_TTL_MS) {
      const list = listUpstreams(this.ctx.db);
      list.catch(() => {
        this.#upstreams = undefined;
      });
      this.#upstreams = { at: now, list };
    }
    const upstream = findUpstream(await this.#upstreams.list, repoId);
    if (!upstream) return undefined;
    if (!upstream.sealedApiKey) return { upstream, apiKey: undefined };
    const apiKey = openSecret(this.ctx.secrets.tokenKey, upstream.sealedApiKey);
    if (apiKey === undefined) {
      throw new HubError(
        "Internal",
        `The API key stored for the upstream of ${repoId} cannot be opened with this server's secret; an administrator must add the upstream again`,
        { status: 502 },
      );
    }
    return { upstream, apiKey };
  }

  /**
   * Counts the call against the token's per-minute limit (a fixed window in the database, shared by
   * every process) and refuses it past the limit with 429 and the seconds until the window ends.
   */
  async admit(principal: Principal): Promise<void> {
    if (principal.type !== "token") return;
    const limit = await findTokenRateLimit(this.ctx.db, principal.token.id);
    if (limit === undefined) return;
    const now = this.ctx.now();
    const windowStart = new Date(Math.floor(now.getTime() / 60_000) * 60_000);
    if (++this.#calls % 200 === 0) await pruneRateWindows(this.ctx.db, new Date(windowStart.getTime() - 60_000));
    const count = await countCall(this.ctx.db, principal.token.id, windowStart);
    if (count > limit) {
      const retryAfter = Math.max(1, Math.ceil((windowStart.getTime() + 60_000 - now.getTime()) / 1000));
      throw new HubError(
        "RateLimited",
        `Rate limit reached: this token may make ${limit} inference calls per minute; retry in ${retryAfter} s`,
        { headers: { "Retry-After": String(retryAfter) } },
      );
    }
  }

  async record(
    principal: Principal,
    call: {
      model: string;
      route: string;
      status: number;
      startedAt: number;
      inputTokens?: number | undefined;
      outputTokens?: number | undefined;
    },
  ): Promise<void> {
    if (principal.type === "anonymous") return;
    try {
      await insertUsage(this.ctx.db, {
        tokenId: principal.type === "token" ? principal.token.id : undefined,
        userId: principal.user.id,
        model: call.model,
        route: call.route,
        status: call.status,
        durationMs: performance.now() - call.startedAt,
        inputTokens: call.inputTokens,
        outputTokens: call.outputTokens,
        at: this.ctx.now(),
      });
    } catch (error) {
      // A lost usage row must not fail a call that has already been answered.
      this.ctx.logger.warn({ err: error }, "could not record inference usage");
    }
  }

  close(): Promise<void> {
    return this.runner.pool.close();
  }
}
