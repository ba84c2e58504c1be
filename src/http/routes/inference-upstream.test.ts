/**
 * The upstream path against a small OpenAI-compatible server the test runs: non-streaming and streaming
 * (SSE passed on byte for byte), the routes that name the model in the path or in the body, failures →
 * 502, a slow upstream → 504, and the caller's token never reaching the upstream.
 */
import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { InferenceClient } from "@huggingface/inference";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { testDialects } from "../../../test/helpers/databases.ts";
import { bearer, seedRepo, seedToken, seedUser } from "../../../test/helpers/seed.ts";
import { makeTestContext, type TestContext } from "../../../test/helpers/test-context.ts";
import { addUpstream, describeUpstreams, removeUpstream } from "../../inference/upstream-admin.ts";
import { buildApp } from "../app.ts";

type App = Awaited<ReturnType<typeof buildApp>>;
const UPSTREAM_KEY = "sk-upstream-secret-123";

interface Seen {
  readonly url: string;
  readonly headers: IncomingMessage["headers"];
  readonly body: Record<string, unknown>;
}

const SSE_CHUNKS = [
  `data: ${JSON.stringify({ id: "c1", object: "chat.completion.chunk", choices: [{ index: 0, delta: { role: "assistant", content: "Hel" } }] })}\n\n`,
  `data: ${JSON.stringify({ id: "c1", object: "chat.completion.chunk", choices: [{ index: 0, delta: { content: "lo" }, finish_reason: "stop" }] })}\n\n`,
  `data: ${JSON.stringify({ id: "c1", object: "chat.completion.chunk", choices: [], usage: { prompt_tokens: 7, completion_tokens: 2, total_tokens: 9 } })}\n\n`,
  "data: [DONE]\n\n",
];

/** An OpenAI-compatible server: echoes what it got, streams on request, fails or stalls on cue. */
function startUpstream(): Promise<{ server: Server; url: string; seen: Seen[] }> {
  const seen: Seen[] = [];
  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on("data", (chunk: Buffer) => chunks.push(chunk));
    request.on("end", async () => {
      const text = Buffer.concat(chunks).toString("utf8");
      const body = text ? (JSON.parse(text) as Record<string, unknown>) : {};
      seen.push({ url: request.url ?? "", headers: request.headers, body });
      const content = JSON.stringify(body.messages ?? body.prompt ?? body.inputs ?? "");
      if (content.includes("fail")) {
        response.writeHead(500, { "content-type": "application/json" }).end('{"error":"CUDA out of memory"}');
        return;
      }
      if (content.includes("refuse")) {
        // As OpenAI does: the refusal quotes the key it was given.
        const key = String(request.headers.authorization ?? "").replace(/^Bearer /, "");
        response
          .writeHead(401, { "content-type": "application/json" })
          .end(`{"error":"Incorrect API key provided: ${key}"}`);
        return;
      }
      if (content.includes("stall")) {
        await new Promise((resolve) => setTimeout(resolve, 3000));
        if (!response.destroyed) response.end("{}");
        return;
      }
      if (body.stream === true) {
        response.writeHead(200, { "content-type": "text/event-stream" });
        for (const chunk of SSE_CHUNKS) {
          response.write(chunk);
          await new Promise((resolve) => setTimeout(resolve, 10));
        }
        response.end();
        return;
      }
      const reply =
        request.url === "/v1/chat/completions"
          ? {
              id: "c2",
              object: "chat.completion",
              model: body.model,
              choices: [
                { index: 0, message: { role: "assistant", content: `echo ${content}` }, finish_reason: "stop" },
              ],
              usage: { prompt_tokens: 5, completion_tokens: 3, total_tokens: 8 },
            }
          : request.url === "/v1/completions"
            ? { id: "c3", object: "text_completion", choices: [{ index: 0, text: " world", finish_reason: "stop" }] }
            : request.url === "/v1/embeddings"
              ? { object: "list", data: [{ object: "embedding", index: 0, embedding: [0.5, 0.25] }], model: body.model }
              : [{ generated_text: `task ${content}` }];
      response.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(reply));
    });
  });
  return new Promise((resolve) =>
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as AddressInfo;
      resolve({ server, url: `http://127.0.0.1:${port}`, seen });
    }),
  );
}

describe.each(testDialects())("inference upstreams on %s", (dialect) => {
  let ctx: TestContext;
  let app: App;
  let upstream: Awaited<ReturnType<typeof startUpstream>>;
  let token: string;
  let url: string;

  beforeEach(async () => {
    ctx = await makeTestContext(dialect);
    const alice = await seedUser(ctx, "alice");
    token = await seedToken(ctx, alice, { role: "read" });
    await seedRepo(ctx, alice, "alice/llama");
    await seedRepo(ctx, alice, "alice/other");
    upstream = await startUpstream();
    await addUpstream(ctx, { pattern: "alice/*", url: `${upstream.url}/v1`, apiKey: UPSTREAM_KEY, timeoutMs: 1000 });
    await addUpstream(ctx, { pattern: "alice/llama", url: upstream.url, apiKey: UPSTREAM_KEY, model: "llama-3-8b" });
    app = await buildApp(ctx);
    url = await app.listen({ port: 0, host: "127.0.0.1" });
  });
  afterEach(async () => {
    await app?.close();
    upstream?.server.closeAllConnections();
    await new Promise((resolve) => upstream?.server.close(resolve));
    await ctx?.dispose();
  });

  function assertNoCallerToken(): void {
    expect(upstream.seen.length).toBeGreaterThan(0);
    for (const request of upstream.seen) {
      expect(request.headers.authorization).toBe(`Bearer ${UPSTREAM_KEY}`);
      expect(JSON.stringify(request.headers)).not.toContain(token);
      expect(JSON.stringify(request.body)).not.toContain(token);
    }
  }

  it("forwards chat completions with Berth's credential and the configured model name", async () => {
    const client = new InferenceClient(token);
    const output = await client.chatCompletion({
      endpointUrl: `${url}/models/alice/llama`,
      model: "dummy",
      messages: [{ role: "user", content: "hi" }],
    });
    expect(output.choices[0]?.message.content).toBe('echo [{"role":"user","content":"hi"}]');
    expect(upstream.seen[0]).toMatchObject({ url: "/v1/chat/completions", body: { model: "llama-3-8b" } });

    // With `model` = repo id at the root /v1; the glob maps alice/other and its upstream URL ends in /v1.
    const direct = await app.inject({
      method: "POST",
      url: "/v1/chat/completions",
      headers: { ...bearer(token), cookie: "berth_session=abc" },
      payload: { model: "alice/other", messages: [{ role: "user", content: "yo" }] },
    });
    expect(direct.statusCode, direct.body).toBe(200);
    expect(upstream.seen[1]).toMatchObject({ url: "/v1/chat/completions", body: { model: "alice/other" } });
    expect(upstream.seen[1]?.headers.cookie).toBeUndefined();
    assertNoCallerToken();
    await expectUsage([200, 200], { inputTokens: 5, outputTokens: 3 });
  });

  it("streams Server-Sent Events back unchanged", async () => {
    const response = await fetch(`${url}/models/alice/llama/v1/chat/completions`, {
      method: "POST",
      headers: { ...bearer(token), "content-type": "application/json" },
      body: JSON.stringify({ model: "dummy", stream: true, messages: [{ role: "user", content: "hi" }] }),
    });
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toMatch(/^text\/event-stream/);
    expect(await response.text()).toBe(SSE_CHUNKS.join(""));

    const client = new InferenceClient(token);
    let text = "";
    for await (const chunk of client.chatCompletionStream({
      endpointUrl: `${url}/models/alice/llama`,
      model: "dummy",
      messages: [{ role: "user", content: "hi" }],
    })) {
      text += chunk.choices[0]?.delta.content ?? "";
    }
    expect(text).toBe("Hello");
    assertNoCallerToken();
    await expectUsage([200, 200], { inputTokens: 7, outputTokens: 2 });
  });

  it("forwards completions, embeddings and task calls", async () => {
    const client = new InferenceClient(token);
    const generated = await client.textGeneration({ endpointUrl: `${url}/models/alice/other`, inputs: "hello" });
    expect(generated.generated_text).toBe(" world");
    expect(upstream.seen[0]).toMatchObject({ url: "/v1/completions", body: { model: "alice/other", prompt: "hello" } });

    const embedded = await app.inject({
      method: "POST",
      url: "/v1/embeddings",
      headers: bearer(token),
      payload: { model: "alice/other", input: "x" },
    });
    expect(embedded.json().data[0].embedding).toEqual([0.5, 0.25]);

    const task = await app.inject({
      method: "POST",
      url: "/models/alice/llama",
      headers: bearer(token),
      payload: { inputs: "once upon" },
    });
    expect(task.json()).toEqual([{ generated_text: 'task "once upon"' }]);
    expect(upstream.seen[2]?.url).toBe("/");
    assertNoCallerToken();
  });

  it("maps an upstream failure to 502, silence to 504, an unreachable upstream to 502", async () => {
    const fail = await app.inject({
      method: "POST",
      url: "/v1/chat/completions",
      headers: bearer(token),
      payload: { model: "alice/other", messages: [{ role: "user", content: "please fail" }] },
    });
    expect(fail.statusCode).toBe(502);
    expect(fail.json().error).toMatch(
      /^The inference upstream for alice\/other failed: HTTP 500: .*CUDA out of memory/,
    );

    const stall = await app.inject({
      method: "POST",
      url: "/v1/chat/completions",
      headers: bearer(token),
      payload: { model: "alice/other", messages: [{ role: "user", content: "stall" }] },
    });
    expect(stall.statusCode).toBe(504);
    expect(stall.json().error).toMatch(/no answer within 1 s/);

    await removeUpstream(ctx, "alice/*");
    await addUpstream(ctx, { pattern: "alice/*", url: "http://127.0.0.1:9/v1", timeoutMs: 1000 });
    await new Promise((resolve) => setTimeout(resolve, 1100)); // the upstream table is re-read each second
    const down = await app.inject({
      method: "POST",
      url: "/v1/chat/completions",
      headers: bearer(token),
      payload: { model: "alice/other", messages: [] },
    });
    expect(down.statusCode).toBe(502);
    expect(down.json().error).toMatch(/cannot reach it/);
    await expectUsage([502, 502, 504], {});
  });

  it("never shows the API key, and validates patterns and URLs", async () => {
    const listed = await describeUpstreams(ctx);
    expect(listed.map((u) => [u.pattern, u.apiKey, u.model])).toEqual([
      ["alice/*", "set", null],
      ["alice/llama", "set", "llama-3-8b"],
    ]);
    expect(JSON.stringify(listed)).not.toContain(UPSTREAM_KEY);
    const stored = await ctx.db.selectFrom("inference_upstream").select("api_key").execute();
    expect(JSON.stringify(stored)).not.toContain(UPSTREAM_KEY);
    const refused = await app.inject({
      method: "POST",
      url: "/v1/chat/completions",
      headers: bearer(token),
      payload: { model: "alice/other", messages: [{ role: "user", content: "refuse" }] },
    });
    expect(refused.statusCode).toBe(502);
    expect(refused.json().error).toMatch(/refused Berth's credential.*Incorrect API key provided: \[redacted\]/);
    expect(refused.body + JSON.stringify(refused.headers)).not.toContain(UPSTREAM_KEY);
    await expect(addUpstream(ctx, { pattern: "nope", url: upstream.url })).rejects.toThrow(/Invalid pattern/);
    await expect(addUpstream(ctx, { pattern: "a/b", url: "ftp://x" })).rejects.toThrow(/http or https/);
    await expect(addUpstream(ctx, { pattern: "a/b", url: "http://u:p@x" })).rejects.toThrow(/api-key-stdin/);
    await expect(addUpstream(ctx, { pattern: "alice/llama", url: upstream.url })).rejects.toThrow(/already exists/);
  });

  async function expectUsage(statuses: number[], tokens: { inputTokens?: number; outputTokens?: number }) {
    let rows: { status: number; input_tokens: number | null; output_tokens: number | null }[] = [];
    for (let i = 0; i < 100 && rows.length < statuses.length; i++) {
      rows = await ctx.db.selectFrom("inference_usage").selectAll().orderBy("status").execute();
      if (rows.length < statuses.length) await new Promise((resolve) => setTimeout(resolve, 20));
    }
    expect(rows.map((row) => row.status)).toEqual(statuses);
    if (tokens.inputTokens !== undefined) expect(rows.map((row) => row.input_tokens)).toContain(tokens.inputTokens);
    if (tokens.outputTokens !== undefined) expect(rows.map((row) => row.output_tokens)).toContain(tokens.outputTokens);
  }
});
