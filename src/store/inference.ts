/**
 * Inference bookkeeping: upstream providers by repo pattern, one usage row per call, and the per-token
 * rate limit, counted in fixed one-minute windows in the database so every server process shares them.
 */
import { sql } from "kysely";
import { newObjectId } from "../domain/object-id.ts";
import { HubError } from "../errors.ts";
import { type Db, isUniqueViolation } from "./db.ts";
import type { InferenceUpstreamTable } from "./schema.ts";

export interface Upstream {
  readonly pattern: string;
  readonly url: string;
  readonly upstreamModel: string | undefined;
  /** The sealed API key (see inference/secret-box.ts), never the clear value. */
  readonly sealedApiKey: string | undefined;
  readonly timeoutMs: number;
  readonly createdAt: Date;
}

function toUpstream(row: InferenceUpstreamTable): Upstream {
  return {
    pattern: row.pattern,
    url: row.url,
    upstreamModel: row.upstream_model ?? undefined,
    sealedApiKey: row.api_key ?? undefined,
    timeoutMs: row.timeout_ms,
    createdAt: new Date(row.created_at),
  };
}

export async function insertUpstream(
  db: Db,
  input: Omit<Upstream, "createdAt">,
  now: Date,
  options: { replace: boolean },
): Promise<void> {
  const row: InferenceUpstreamTable = {
    pattern: input.pattern,
    url: input.url,
    upstream_model: input.upstreamModel ?? null,
    api_key: input.sealedApiKey ?? null,
    timeout_ms: input.timeoutMs,
    created_at: now.toISOString(),
  };
  try {
    if (options.replace) {
      await db.transaction().execute(async (trx) => {
        await trx.deleteFrom("inference_upstream").where("pattern", "=", input.pattern).execute();
        await trx.insertInto("inference_upstream").values(row).execute();
      });
    } else {
      await db.insertInto("inference_upstream").values(row).execute();
    }
  } catch (error) {
    if (isUniqueViolation(error)) {
      throw new HubError("Conflict", `An upstream for "${input.pattern}" already exists (use --replace)`);
    }
    throw error;
  }
}

export async function listUpstreams(db: Db): Promise<Upstream[]> {
  const rows = await db.selectFrom("inference_upstream").selectAll().orderBy("pattern").execute();
  return rows.map(toUpstream);
}

export async function deleteUpstream(db: Db, pattern: string): Promise<boolean> {
  const result = await db.deleteFrom("inference_upstream").where("pattern", "=", pattern).executeTakeFirst();
  return result.numDeletedRows > 0n;
}

export interface UsageRecord {
  readonly tokenId: string | undefined;
  readonly userId: string;
  readonly model: string;
  readonly route: string;
  readonly status: number;
  readonly durationMs: number;
  readonly inputTokens: number | undefined;
  readonly outputTokens: number | undefined;
  readonly at: Date;
}

export async function insertUsage(db: Db, record: UsageRecord): Promise<void> {
  await db
    .insertInto("inference_usage")
    .values({
      id: newObjectId(),
      token_id: record.tokenId ?? null,
      user_id: record.userId,
      model: record.model.slice(0, 300),
      route: record.route,
      status: record.status,
      duration_ms: Math.round(record.durationMs),
      input_tokens: record.inputTokens ?? null,
      output_tokens: record.outputTokens ?? null,
      at: record.at.toISOString(),
    })
    .execute();
}

export interface UsageSummary {
  readonly calls: number;
  readonly lastCallAt: string | null;
  readonly inputTokens: number;
  readonly outputTokens: number;
}

export const NO_USAGE: UsageSummary = Object.freeze({ calls: 0, lastCallAt: null, inputTokens: 0, outputTokens: 0 });

/** Calls per token of one user, in one grouped query. */
export async function usageByToken(db: Db, userId: string): Promise<Map<string, UsageSummary>> {
  const rows = await db
    .selectFrom("inference_usage")
    .select([
      "token_id",
      (eb) => eb.fn.countAll<number | string>().as("calls"),
      (eb) => eb.fn.max("at").as("last_at"),
      (eb) => eb.fn.sum<number | string | null>("input_tokens").as("input_tokens"),
      (eb) => eb.fn.sum<number | string | null>("output_tokens").as("output_tokens"),
    ])
    .where("user_id", "=", userId)
    .where("token_id", "is not", null)
    .groupBy("token_id")
    .execute();
  const summaries = new Map<string, UsageSummary>();
  for (const row of rows) {
    if (row.token_id === null) continue;
    summaries.set(row.token_id, {
      calls: Number(row.calls),
      lastCallAt: row.last_at ?? null,
      inputTokens: Number(row.input_tokens ?? 0),
      outputTokens: Number(row.output_tokens ?? 0),
    });
  }
  return summaries;
}

export async function usageRows(db: Db, tokenId: string, limit = 100) {
  return db
    .selectFrom("inference_usage")
    .selectAll()
    .where("token_id", "=", tokenId)
    .orderBy("at", "desc")
    .limit(limit)
    .execute();
}

export async function setTokenRateLimit(db: Db, tokenId: string, perMinute: number | undefined): Promise<void> {
  await db
    .updateTable("token")
    .set({ rate_limit_per_minute: perMinute ?? null })
    .where("id", "=", tokenId)
    .execute();
}

/** Per-token limits of one user's tokens (for listings). */
export async function tokenRateLimits(db: Db, userId: string): Promise<Map<string, number>> {
  const rows = await db
    .selectFrom("token")
    .select(["id", "rate_limit_per_minute"])
    .where("user_id", "=", userId)
    .where("rate_limit_per_minute", "is not", null)
    .execute();
  return new Map(rows.map((row) => [row.id, Number(row.rate_limit_per_minute)]));
}

export async function findTokenRateLimit(db: Db, tokenId: string): Promise<number | undefined> {
  const row = await db.selectFrom("token").select("rate_limit_per_minute").where("id", "=", tokenId).executeTakeFirst();
  return row?.rate_limit_per_minute ?? undefined;
}

/**
 * Counts one call in the token's current minute and returns the count so far, atomically (one upsert
 * with RETURNING on both databases), so two processes never both see the last free slot.
 */
export async function countCall(db: Db, tokenId: string, windowStart: Date): Promise<number> {
  const row = await db
    .insertInto("inference_rate_window")
    .values({ token_id: tokenId, window_start: windowStart.toISOString(), count: 1 })
    .onConflict((oc) =>
      oc.columns(["token_id", "window_start"]).doUpdateSet({ count: sql<number>`inference_rate_window.count + 1` }),
    )
    .returning("count")
    .executeTakeFirstOrThrow();
  return Number(row.count);
}

/** Drops windows that ended before `before`; cheap, run now and then. */
export async function pruneRateWindows(db: Db, before: Date): Promise<void> {
  await db.deleteFrom("inference_rate_window").where("window_start", "<", before.toISOString()).execute();
}
