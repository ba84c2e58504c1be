/**
 * The inference API end to end: a tiny classifier built by the test (tests/helpers/tiny-classifier.ts),
 * committed through the Hub API commit route, called through @huggingface/inference with `endpointUrl`
 * and through the Python client's request shapes, and through raw tensors. Expected labels, scores and
 * logits come from the test's own arithmetic on the weights, never from Berth.
 */
import { InferenceClient } from "@huggingface/inference";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { testDialects } from "../../../test/helpers/databases.ts";
import { commitModel } from "../../../test/helpers/model-commit.ts";
import { bearer, FAKE_TOKEN, seedRepo, seedToken, seedUser, TEST_PASSWORD } from "../../../test/helpers/seed.ts";
import { makeTestContext, type TestContext } from "../../../test/helpers/test-context.ts";
import {
  classifierFiles,
  EMBEDDING,
  encoderFiles,
  LABELS,
  referenceEmbedding,
  referenceLogits,
  referenceScores,
  referenceTokenScores,
  tokenClassifierFiles,
  tokenize,
  VOCAB,
} from "../../../test/helpers/tiny-classifier.ts";
import type { User } from "../../domain/entities.ts";
import { buildApp } from "../app.ts";

type App = Awaited<ReturnType<typeof buildApp>>;
const MODEL = "alice/tiny-sentiment";
const SENTENCES = ["the movie is good", "awful bad movie", "not great , not awful", "fine"];

function expectScores(actual: unknown, text: string): void {
  const expected = referenceScores(text);
  const got = actual as { label: string; score: number }[];
  expect(got.map((entry) => entry.label)).toEqual(expected.map((entry) => entry.label));
  for (const [i, entry] of got.entries()) expect(entry.score).toBeCloseTo(expected[i]?.score ?? Number.NaN, 5);
}

describe.each(testDialects())("inference API on %s", (dialect) => {
  let ctx: TestContext;
  let app: App;
  let alice: User;
  let bob: User;
  let writeToken: string;
  let url: string;

  beforeEach(async () => {
    ctx = await makeTestContext(dialect);
    alice = await seedUser(ctx, "alice");
    bob = await seedUser(ctx, "bob");
    writeToken = await seedToken(ctx, alice, { role: "write" });
    app = await buildApp(ctx);
    await seedRepo(ctx, alice, MODEL);
    await commitModel(app, writeToken, MODEL);
    url = await app.listen({ port: 0, host: "127.0.0.1" });
  });
  afterEach(async () => {
    await app?.close();
    await ctx?.dispose();
  });

  const post = (path: string, payload: unknown, token?: string) =>
    app.inject({ method: "POST", url: path, payload: payload as object, headers: token ? bearer(token) : {} });

  it("classifies through @huggingface/inference with endpointUrl = Berth", async () => {
    const client = new InferenceClient(writeToken);
    for (const text of SENTENCES) {
      const output = await client.textClassification({ endpointUrl: `${url}/models/${MODEL}`, inputs: text });
      expectScores(output, text);
    }
  });

  it("answers the Python client's task shapes: one list per input, the top_k it asks for", async () => {
    const single = await fetch(`${url}/models/${MODEL}`, {
      method: "POST",
      headers: { ...bearer(writeToken), "content-type": "application/json" },
      body: JSON.stringify({ inputs: SENTENCES[0], parameters: { function_to_apply: null, top_k: null } }),
    });
    expect(single.status).toBe(200);
    const body = (await single.json()) as unknown[][];
    expect(body).toHaveLength(1);
    expectScores(body[0], SENTENCES[0] as string);

    const batch = await post(`/models/${MODEL}`, { inputs: SENTENCES }, writeToken);
    expect(batch.statusCode, batch.body).toBe(200);
    const lists = batch.json() as unknown[][];
    expect(lists).toHaveLength(SENTENCES.length);
    for (const [i, text] of SENTENCES.entries()) expectScores(lists[i], text);

    const top1 = await post(`/models/${MODEL}`, { inputs: "great", parameters: { top_k: 1 } }, writeToken);
    expect(top1.json()).toEqual([[{ label: "POSITIVE", score: expect.any(Number) }]]);
    // The task named in the path wins over the README; an unknown one is a clear 400.
    const named = await post(`/models/${MODEL}/pipeline/text-classification`, { inputs: "bad" }, writeToken);
    expectScores((named.json() as unknown[])[0], "bad");
    const wrong = await post(`/models/${MODEL}/pipeline/text-to-image`, { inputs: "bad" }, writeToken);
    expect(wrong.statusCode).toBe(400);
    expect(wrong.json().error).toMatch(/not supported by the embedded runner/);
  });

  it("refuses bad input with a 4xx, never a 500", async () => {
    for (const payload of [{}, { inputs: null }, { inputs: 42 }, { inputs: [] }, { inputs: [1, 2] }]) {
      const response = await post(`/models/${MODEL}`, payload, writeToken);
      expect(response.statusCode, JSON.stringify(payload)).toBe(400);
    }
    const notJson = await app.inject({
      method: "POST",
      url: `/models/${MODEL}`,
      headers: { ...bearer(writeToken), "content-type": "application/json" },
      payload: "{nope",
    });
    expect(notJson.statusCode).toBe(400);
    const bytes = await app.inject({
      method: "POST",
      url: `/models/${MODEL}`,
      headers: { ...bearer(writeToken), "content-type": "image/png" },
      payload: Buffer.from([0x89, 0x50, 0x4e, 0x47]),
    });
    expect(bytes.statusCode).toBe(400);
    expect(bytes.json().error).toMatch(/binary inputs/);
    // A repo without ONNX weights, and one whose weights are not a model: 400 and 422 that say so.
    await seedRepo(ctx, alice, "alice/empty");
    const empty = await post("/models/alice/empty", { inputs: "good" }, writeToken);
    expect([empty.statusCode, empty.json().error]).toEqual([400, expect.stringMatching(/has no ONNX weights/)]);
    await seedRepo(ctx, alice, "alice/broken");
    const broken = classifierFiles().map((f) =>
      f.path === "onnx/model.onnx" ? { ...f, content: Buffer.from("not a protobuf") } : f,
    );
    await commitModel(app, writeToken, "alice/broken", broken);
    const cannotLoad = await post("/models/alice/broken", { inputs: "good" }, writeToken);
    expect([cannotLoad.statusCode, cannotLoad.json().error]).toEqual([422, expect.stringMatching(/cannot be loaded/)]);
    const badRevision = await post(`/models/${MODEL}?revision=nope`, { inputs: "good" }, writeToken);
    expect(badRevision.statusCode).toBe(404);
    expect(badRevision.headers["x-error-code"]).toBe("RevisionNotFound");
  });

  it("runs raw tensors through /v2/…/infer and returns the logits of the weights", async () => {
    const texts = ["the movie is good", "awful"];
    const ids = texts.map(tokenize);
    const width = Math.max(...ids.map((row) => row.length));
    const padded = ids.flatMap((row) => [...row, ...Array(width - row.length).fill(0)]);
    const mask = ids.flatMap((row) => [...row.map(() => 1), ...Array(width - row.length).fill(0)]);
    const response = await post(
      `/v2/models/${MODEL}/infer`,
      {
        id: "req-1",
        inputs: [
          { name: "input_ids", shape: [2, width], datatype: "INT64", data: padded },
          { name: "attention_mask", shape: [2, width], datatype: "INT64", data: mask },
        ],
      },
      writeToken,
    );
    expect(response.statusCode, response.body).toBe(200);
    const body = response.json();
    expect(body).toMatchObject({
      model_name: MODEL,
      id: "req-1",
      model_version: expect.stringMatching(/^[0-9a-f]{40}$/),
    });
    expect(body.outputs).toHaveLength(1);
    expect(body.outputs[0]).toMatchObject({ name: "logits", shape: [2, LABELS.length], datatype: "FP32" });
    const expected = ids.flatMap(referenceLogits);
    for (const [i, value] of (body.outputs[0].data as number[]).entries()) {
      expect(value).toBeCloseTo(expected[i] ?? Number.NaN, 5);
    }

    const wrongShape = await post(
      `/v2/models/${MODEL}/infer`,
      { inputs: [{ name: "input_ids", shape: [1, 3], datatype: "INT64", data: [1, 2] }] },
      writeToken,
    );
    expect(wrongShape.statusCode).toBe(400);
    const missing = await post(
      `/v2/models/${MODEL}/infer`,
      { inputs: [{ name: "input_ids", shape: [1, 1], datatype: "INT64", data: [2] }] },
      writeToken,
    );
    expect(missing.statusCode).toBe(400);
    expect(missing.json().error).toMatch(/missing attention_mask/);
    const badType = await post(
      `/v2/models/${MODEL}/infer`,
      {
        inputs: [
          { name: "input_ids", shape: [1, 1], datatype: "FP32", data: [2] },
          { name: "attention_mask", shape: [1, 1], datatype: "INT64", data: [1] },
        ],
      },
      writeToken,
    );
    expect(badType.statusCode).toBe(400);
  });

  it("says that chat needs an upstream, and lists callable models for /v1/models", async () => {
    const chat = await post(
      "/v1/chat/completions",
      { model: MODEL, messages: [{ role: "user", content: "hi" }] },
      writeToken,
    );
    expect(chat.statusCode).toBe(400);
    expect(chat.json().error).toMatch(/no inference upstream/);
    expect((await post("/v1/chat/completions", { model: "nope" }, writeToken)).statusCode).toBe(400);
    await seedRepo(ctx, alice, "alice/no-weights");
    const list = await app.inject({ url: "/v1/models", headers: bearer(writeToken) });
    expect(list.statusCode).toBe(200);
    expect(list.json()).toEqual({
      object: "list",
      data: [{ id: MODEL, object: "model", created: expect.any(Number), owned_by: "alice" }],
    });
    expect((await app.inject({ url: "/v1/models" })).statusCode).toBe(401);
  });

  it("serves embeddings from an encoder: /v1/embeddings pooled and normalized, the task API per token", async () => {
    await seedRepo(ctx, alice, "alice/tiny-encoder");
    await commitModel(app, writeToken, "alice/tiny-encoder", encoderFiles());
    const texts = ["the movie is good", "awful"];
    const response = await post("/v1/embeddings", { model: "alice/tiny-encoder", input: texts }, writeToken);
    expect(response.statusCode, response.body).toBe(200);
    const body = response.json();
    expect(body).toMatchObject({ object: "list", model: "alice/tiny-encoder", usage: { prompt_tokens: 5 } });
    for (const [i, text] of texts.entries()) {
      expect(body.data[i]).toMatchObject({ object: "embedding", index: i });
      const expected = referenceEmbedding(text);
      for (const [d, value] of (body.data[i].embedding as number[]).entries()) {
        expect(value).toBeCloseTo(expected[d] ?? Number.NaN, 5);
      }
    }
    // The path form that clients build from a base URL; "dummy" as the model.
    const viaPath = await post(
      "/models/alice/tiny-encoder/v1/embeddings",
      { model: "dummy", input: "fine" },
      writeToken,
    );
    expect((viaPath.json().data[0].embedding as number[])[0]).toBeCloseTo(referenceEmbedding("fine")[0] ?? 0, 5);

    // Task API, task from config.json's architectures: one vector per token, the embedding rows themselves.
    const client = new InferenceClient(writeToken);
    const tokens = await client.featureExtraction({
      endpointUrl: `${url}/models/alice/tiny-encoder`,
      inputs: "good movie",
    });
    const ids = tokenize("good movie");
    expect(tokens).toHaveLength(ids.length);
    for (const [t, vector] of (tokens as number[][]).entries()) {
      for (const [d, value] of vector.entries())
        expect(value).toBeCloseTo(EMBEDDING[ids[t] ?? 0]?.[d] ?? Number.NaN, 4);
    }
    const badInput = await post("/v1/embeddings", { model: "alice/tiny-encoder", input: [[1, 2]] }, writeToken);
    expect(badInput.statusCode).toBe(400);
  });

  it("tags tokens (token-classification, from the architecture) with offsets the JS client accepts", async () => {
    await seedRepo(ctx, alice, "alice/tiny-tagger");
    await commitModel(app, writeToken, "alice/tiny-tagger", tokenClassifierFiles());
    const text = "the movie is good but awful";
    const client = new InferenceClient(writeToken);
    const entities = await client.tokenClassification({ endpointUrl: `${url}/models/alice/tiny-tagger`, inputs: text });
    const expected = [
      { word: "good", entity_group: "POS", label: 1 },
      { word: "awful", entity_group: "NEG", label: 2 },
    ].map(({ word, entity_group, label }) => ({
      entity_group,
      word,
      start: text.indexOf(word),
      end: text.indexOf(word) + word.length,
      score: referenceTokenScores(VOCAB.indexOf(word as (typeof VOCAB)[number]))[label] ?? Number.NaN,
    }));
    expect(entities.map(({ score: _, ...rest }) => rest)).toEqual(expected.map(({ score: _, ...rest }) => rest));
    for (const [i, entity] of entities.entries()) expect(entity.score).toBeCloseTo(expected[i]?.score ?? 0, 5);
  });

  describe("authorization (issue 5, item 2)", () => {
    const call = (token: string | undefined, model = MODEL) => post(`/models/${model}`, { inputs: "good" }, token);
    const fineGrained = (
      global: string[],
      scoped: { entity: { type: string; name: string }; permissions: string[] }[],
    ) => seedToken(ctx, alice, { role: "fineGrained", global, scoped });

    it("lets read and write tokens and inference.serverless.write (user scope or global) call", async () => {
      const tokens = [
        await seedToken(ctx, alice, { role: "read" }),
        writeToken,
        await fineGrained(
          [],
          [{ entity: { type: "user", name: "alice" }, permissions: ["inference.serverless.write"] }],
        ),
        await fineGrained(["inference.serverless.write"], []),
      ];
      for (const token of tokens) {
        const response = await call(token);
        expect(response.statusCode, response.body).toBe(200);
        expectScores((response.json() as unknown[])[0], "good");
      }
    });

    it("refuses a fine-grained token without the permission with the Hub's wording", async () => {
      const without = await fineGrained(
        ["discussion.write"],
        [{ entity: { type: "user", name: "alice" }, permissions: ["repo.content.read", "repo.write"] }],
      );
      const response = await call(without);
      expect(response.statusCode).toBe(403);
      expect(response.headers["x-error-code"]).toBeUndefined();
      expect(response.json().error).toMatch(
        /^This authentication method does not have sufficient permissions to call Inference Providers on behalf of user alice\. Missing permission: inference\.serverless\.write/,
      );
      // The same on the OpenAI and tensor routes.
      expect((await post("/v1/embeddings", { model: MODEL, input: "x" }, without)).statusCode).toBe(403);
      expect((await post(`/v2/models/${MODEL}/infer`, { inputs: [] }, without)).statusCode).toBe(403);
    });

    it("hides private repos (404, anonymous 401), gates gated ones (403, anonymous 401)", async () => {
      const hidden = await seedRepo(ctx, bob, "bob/secret", { private: true });
      const gated = await seedRepo(ctx, bob, "bob/gated", { gated: "manual" });
      const bobToken = await seedToken(ctx, bob, { role: "write" });
      await commitModel(app, bobToken, "bob/secret");
      await commitModel(app, bobToken, "bob/gated");
      const notFound = await call(writeToken, "bob/secret");
      expect([notFound.statusCode, notFound.headers["x-error-code"]]).toEqual([404, "RepoNotFound"]);
      const anonymous = await call(undefined, "bob/secret");
      expect([anonymous.statusCode, anonymous.headers["x-error-code"]]).toEqual([401, "RepoNotFound"]);
      const missing = await call(writeToken, "bob/nothing");
      expect([missing.statusCode, missing.headers["x-error-code"]]).toEqual([404, "RepoNotFound"]);
      const gatedCall = await call(writeToken, "bob/gated");
      expect([gatedCall.statusCode, gatedCall.headers["x-error-code"]]).toEqual([403, "GatedRepo"]);
      const gatedAnonymous = await call(undefined, "bob/gated");
      expect([gatedAnonymous.statusCode, gatedAnonymous.headers["x-error-code"]]).toEqual([401, "GatedRepo"]);
      // The owner calls both.
      expect((await call(bobToken, "bob/secret")).statusCode).toBe(200);
      expect((await call(bobToken, "bob/gated")).statusCode).toBe(200);
      expect(hidden.private && gated.gated).toBeTruthy();
    });

    it("answers 401 to anonymous callers of a public model and to a bad token", async () => {
      const anonymous = await call(undefined);
      expect(anonymous.statusCode).toBe(401);
      expect(anonymous.json().error).toMatch(/authenticated to call the inference API/);
      expect((await call(FAKE_TOKEN)).statusCode).toBe(401);
    });
  });

  describe("usage and rate limits (issue 5, item 5)", () => {
    async function signIn() {
      const login = await app.inject({
        method: "POST",
        url: "/api/auth/login",
        payload: { username: "alice", password: TEST_PASSWORD },
      });
      const cookie = login.cookies.find((c) => c.name === "berth_session")?.value ?? "";
      return { cookies: { berth_session: cookie }, headers: { "x-csrf-token": login.json().csrfToken as string } };
    }

    async function listed(session: Awaited<ReturnType<typeof signIn>>, name: string) {
      const tokens = (await app.inject({ url: "/api/settings/tokens", ...session })).json() as {
        displayName: string;
        usage: { calls: number; lastCallAt: string | null; inputTokens: number };
        rateLimitPerMinute: number | null;
      }[];
      return tokens.find((t) => t.displayName === name);
    }

    it("records every call per token and shows it in the token list", async () => {
      const session = await signIn();
      const created = await app.inject({
        method: "POST",
        url: "/api/settings/tokens",
        payload: { displayName: "metered", role: "read" },
        ...session,
      });
      const token = created.json().token as string;
      expect((await listed(session, "metered"))?.usage).toMatchObject({ calls: 0, lastCallAt: null });
      await post(`/models/${MODEL}`, { inputs: "the movie is good" }, token);
      await post(`/models/${MODEL}`, { inputs: 1 }, token);
      let entry = await listed(session, "metered");
      for (let i = 0; i < 50 && entry?.usage.calls !== 2; i++) {
        await new Promise((resolve) => setTimeout(resolve, 20));
        entry = await listed(session, "metered");
      }
      expect(entry?.usage.calls).toBe(2);
      expect(entry?.usage.lastCallAt).toMatch(/^\d{4}-/);
      expect(entry?.usage.inputTokens).toBe(tokenize("the movie is good").length);
      const rows = await ctx.db.selectFrom("inference_usage").selectAll().orderBy("status").execute();
      expect(rows.map((row) => [row.model, row.route, row.status])).toEqual([
        [MODEL, "task", 200],
        [MODEL, "task", 400],
      ]);
      expect(rows.every((row) => row.duration_ms >= 0)).toBe(true);
    });

    it("answers 429 with Retry-After past the token's per-minute limit, and resets next minute", async () => {
      const session = await signIn();
      const created = await app.inject({
        method: "POST",
        url: "/api/settings/tokens",
        payload: { displayName: "limited", role: "read", rateLimitPerMinute: 2 },
        ...session,
      });
      expect(created.json().rateLimitPerMinute).toBe(2);
      const token = created.json().token as string;
      expect((await listed(session, "limited"))?.rateLimitPerMinute).toBe(2);
      // Start at the beginning of a minute so the window does not roll over mid-test.
      ctx.advance(60_000 - (ctx.now().getTime() % 60_000) + 1000);
      expect((await call3(token)).map((r) => r.statusCode)).toEqual([200, 200, 429]);
      const refused = (await call3(token))[2];
      const retryAfter = Number(refused?.headers["retry-after"]);
      expect(retryAfter).toBeGreaterThan(0);
      expect(retryAfter).toBeLessThanOrEqual(60);
      expect(refused?.json().error).toMatch(/2 inference calls per minute/);
      ctx.advance(60_000);
      expect((await post(`/models/${MODEL}`, { inputs: "good" }, token)).statusCode).toBe(200);
      // An unlimited token is never refused.
      expect((await call3(writeToken)).map((r) => r.statusCode)).toEqual([200, 200, 200]);
      const bad = await app.inject({
        method: "POST",
        url: "/api/settings/tokens",
        payload: { displayName: "zero", role: "read", rateLimitPerMinute: 0 },
        ...session,
      });
      expect(bad.statusCode).toBe(400);
    });

    async function call3(token: string) {
      const out = [];
      for (let i = 0; i < 3; i++) out.push(await post(`/models/${MODEL}`, { inputs: "good" }, token));
      return out;
    }
  });
});
