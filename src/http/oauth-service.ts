/**
 * Holds the running provider. The signing keys live in the database (auth/oauth-keys.ts); every few
 * minutes the set is read again and, when another process rotated it, the provider is rebuilt with
 * the new set (all its state is in the database, so nothing is lost). The same tick sweeps expired
 * OAuth records.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import type { ProviderLike } from "oidc-provider";
import { ensureBuiltinClients } from "../auth/oauth-clients.ts";
import { currentKeySet } from "../auth/oauth-keys.ts";
import type { Context } from "../context.ts";
import { sweepExpiredRecords } from "../store/oauth-records.ts";
import { createOAuthProvider, type OAuthViews } from "./oauth-provider.ts";

const RELOAD_MS = 5 * 60 * 1000;

export class OAuthService {
  readonly #ctx: Context;
  readonly #views: OAuthViews;
  #provider: ProviderLike;
  #handle: (req: IncomingMessage, res: ServerResponse) => void;
  #fingerprint: string;
  #timer: NodeJS.Timeout | undefined;

  private constructor(ctx: Context, views: OAuthViews, provider: ProviderLike, fingerprint: string) {
    this.#ctx = ctx;
    this.#views = views;
    this.#provider = provider;
    this.#handle = provider.callback();
    this.#fingerprint = fingerprint;
  }

  static async start(ctx: Context, views: OAuthViews): Promise<OAuthService> {
    await ensureBuiltinClients(ctx);
    const keys = await currentKeySet(ctx, ctx.config.oidcKeyRotationDays);
    const service = new OAuthService(ctx, views, createOAuthProvider(ctx, keys, views), keys.fingerprint);
    service.#timer = setInterval(() => void service.tick(), RELOAD_MS);
    service.#timer.unref();
    return service;
  }

  get provider(): ProviderLike {
    return this.#provider;
  }

  handle(req: IncomingMessage, res: ServerResponse): void {
    this.#handle(req, res);
  }

  /** Picks up rotated keys and sweeps expired records; failures are logged and retried next time. */
  async tick(): Promise<void> {
    try {
      const keys = await currentKeySet(this.#ctx, this.#ctx.config.oidcKeyRotationDays);
      if (keys.fingerprint !== this.#fingerprint) {
        this.#provider = createOAuthProvider(this.#ctx, keys, this.#views);
        this.#handle = this.#provider.callback();
        this.#fingerprint = keys.fingerprint;
      }
      await sweepExpiredRecords(this.#ctx.db, this.#ctx.now());
    } catch (error) {
      this.#ctx.logger.warn({ err: error }, "OAuth key reload or sweep failed");
    }
  }

  close(): void {
    if (this.#timer) clearInterval(this.#timer);
  }
}
