/**
 * The inference benchmark (issue 5): the tiny classifier of the tests (test/helpers/tiny-classifier.ts)
 * committed to a fresh Berth through the Hub API, then
 *   1. one call at a time through Berth's task API against the same ONNX graph run directly with
 *      onnxruntime-node in this process (tokenized here, as the reference does): the overhead ratio;
 *   2. throughput under concurrency, Berth against direct;
 *   3. `GET /api/whoami-v2` p50/p99 alone and while an inference load runs: inference lives in worker
 *      threads, so the hub's other routes should barely notice.
 * `npm run bench -- --only inference [--duration S]`; also run at the end of a full `npm run bench`.
 */
import { randomBytes } from "node:crypto";
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import autocannon from "autocannon";
import * as ort from "onnxruntime-node";
import pino from "pino";
import { createToken } from "../src/auth/token-service.ts";
import { loadConfig } from "../src/config.ts";
import { createContext } from "../src/context.ts";
import { createRepo } from "../src/git/repo-lifecycle.ts";
import { createUser } from "../src/store/users.ts";
import { encodeOnnxModel, type GraphNode } from "../test/helpers/onnx-writer.ts";
import { classifierFiles, classifierOnnx, LABELS, tokenize, VOCAB } from "../test/helpers/tiny-classifier.ts";
import { startBerth } from "./servers.ts";

const MODEL = "bench/tiny-sentiment";
const HEAVY = "bench/heavy-sentiment";
const TEXT = "the movie is good not awful";
/** 64 words: the heavy model's cost grows with the sequence. */
const LONG_TEXT = Array.from({ length: 64 }, (_, i) => VOCAB[2 + (i % (VOCAB.length - 2))]).join(" ");

/**
 * The same tokenizer and labels with a deliberately expensive graph: `layers` dense ReLU layers of
 * width `hidden` over every token (one shared weight matrix keeps the file small), so one call costs
 * tens of milliseconds of CPU, the kind of burst the worker threads must keep off the event loop.
 */
function heavyOnnx(layers = 48, hidden = 256): Buffer {
  const nodes: GraphNode[] = [{ op: "Gather", inputs: ["embedding", "input_ids"], outputs: ["h0"] }];
  for (let i = 0; i < layers; i++) {
    nodes.push({ op: "MatMul", inputs: [`h${i}`, "dense"], outputs: [`m${i}`] });
    nodes.push({ op: "Relu", inputs: [`m${i}`], outputs: [`h${i + 1}`] });
  }
  nodes.push(
    { op: "Cast", inputs: ["attention_mask"], outputs: ["mask"], attributes: { to: 1 } },
    { op: "Unsqueeze", inputs: ["mask", "axis_hidden"], outputs: ["mask3"] },
    { op: "Mul", inputs: [`h${layers}`, "mask3"], outputs: ["masked"] },
    { op: "ReduceMean", inputs: ["masked"], outputs: ["mean"], attributes: { axes: [1], keepdims: 0 } },
    { op: "MatMul", inputs: ["mean", "head"], outputs: ["logits"] },
  );
  const values = (n: number, scale: number) => Array.from({ length: n }, (_, i) => Math.sin(i * 0.37) * scale);
  return encodeOnnxModel({
    opset: 13,
    inputs: [
      { name: "input_ids", type: "int64", shape: ["batch", "sequence"] },
      { name: "attention_mask", type: "int64", shape: ["batch", "sequence"] },
    ],
    outputs: [{ name: "logits", type: "float", shape: ["batch", LABELS.length] }],
    initializers: [
      { name: "embedding", type: "float", dims: [VOCAB.length, hidden], values: values(VOCAB.length * hidden, 1) },
      { name: "dense", type: "float", dims: [hidden, hidden], values: values(hidden * hidden, 1 / Math.sqrt(hidden)) },
      { name: "head", type: "float", dims: [hidden, LABELS.length], values: values(hidden * LABELS.length, 0.1) },
      { name: "axis_hidden", type: "int64", dims: [1], values: [2] },
    ],
    nodes,
  });
}

function heavyFiles() {
  return classifierFiles().map((file) => (file.path === "onnx/model.onnx" ? { ...file, content: heavyOnnx() } : file));
}

export interface InferenceBenchOptions {
  readonly durationSeconds: number;
  readonly connections: number;
  readonly benchDir: string;
}

interface Figures {
  readonly title: string;
  readonly requestsPerSecond: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly non2xx: number;
}

async function seedModel(dataDir: string, secret: string): Promise<string> {
  const config = loadConfig({ dataDir, databaseUrl: undefined }, {});
  const ctx = await createContext(config, {
    secrets: { tokenKey: Buffer.from(secret, "utf8") },
    logger: pino({ level: "silent" }),
  });
  try {
    const user = await createUser(ctx.db, { name: "bench", email: "bench@example.test" }, ctx.now());
    for (const name of ["tiny-sentiment", "heavy-sentiment"]) {
      await createRepo(ctx, user, { type: "model", namespace: "bench", name, private: false, gated: false });
    }
    return (await createToken(ctx, user, { displayName: "bench", role: "write" })).value;
  } finally {
    await ctx.close();
  }
}

async function commit(url: string, token: string, repo: string, files = classifierFiles()): Promise<void> {
  const lines = [
    { key: "header", value: { summary: "classifier" } },
    ...files.map((f) => ({ key: "file", value: { path: f.path, content: f.content.toString("base64") } })),
  ];
  const response = await fetch(`${url}/api/models/${repo}/commit/main`, {
    method: "POST",
    headers: { authorization: `Bearer ${token}`, "content-type": "application/x-ndjson" },
    body: lines.map((line) => JSON.stringify(line)).join("\n"),
  });
  if (!response.ok) throw new Error(`commit failed: ${response.status} ${await response.text()}`);
}

function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN;
}

async function sequential(title: string, calls: number, once: () => Promise<void>): Promise<Figures> {
  for (let i = 0; i < 20; i++) await once(); // warm-up: model loaded, JIT settled
  const times: number[] = [];
  const started = performance.now();
  for (let i = 0; i < calls; i++) {
    const t0 = performance.now();
    await once();
    times.push(performance.now() - t0);
  }
  const seconds = (performance.now() - started) / 1000;
  times.sort((a, b) => a - b);
  const round = (x: number) => Math.round(x * 1000) / 1000;
  return {
    title,
    requestsPerSecond: calls / seconds,
    p50Ms: round(percentile(times, 50)),
    p99Ms: round(percentile(times, 99)),
    non2xx: 0,
  };
}

async function load(title: string, options: autocannon.Options): Promise<Figures> {
  const result = await autocannon({ ...options, title });
  return {
    title,
    requestsPerSecond: result.requests.average,
    p50Ms: result.latency.p50,
    p99Ms: result.latency.p99,
    non2xx: result.non2xx + result.errors,
  };
}

export async function runInferenceBench(options: InferenceBenchOptions): Promise<void> {
  const dataDir = path.join(options.benchDir, "inference-data");
  rmSync(dataDir, { recursive: true, force: true });
  mkdirSync(dataDir, { recursive: true });
  const secret = randomBytes(32).toString("hex");
  const token = await seedModel(dataDir, secret);
  const berth = await startBerth(dataDir, secret);
  const figures: Figures[] = [];
  try {
    await commit(berth.url, token, MODEL);
    await commit(berth.url, token, HEAVY, heavyFiles());
    const auth = { authorization: `Bearer ${token}`, "content-type": "application/json" };
    const body = JSON.stringify({ inputs: TEXT });
    const viaBerth = async () => {
      const response = await fetch(`${berth.url}/models/${MODEL}`, { method: "POST", headers: auth, body });
      if (!response.ok) throw new Error(`inference failed: ${response.status} ${await response.text()}`);
      await response.arrayBuffer();
    };
    const session = await ort.InferenceSession.create(classifierOnnx(), { intraOpNumThreads: 1 });
    const direct = async () => {
      const ids = tokenize(TEXT);
      const shape = [1, ids.length];
      const output = await session.run({
        input_ids: new ort.Tensor("int64", BigInt64Array.from(ids.map(BigInt)), shape),
        attention_mask: new ort.Tensor("int64", BigInt64Array.from(ids.map(() => 1n)), shape),
      });
      const logits = output.logits?.data as Float32Array;
      const max = Math.max(...logits);
      const exps = Array.from(logits, (x) => Math.exp(x - max));
      const total = exps.reduce((a, b) => a + b, 0);
      JSON.stringify(exps.map((e) => e / total));
    };

    console.log("Inference: one call at a time, Berth task API vs onnxruntime in-process…");
    const calls = Math.max(200, options.durationSeconds * 50);
    const berthSeq = await sequential("inference via Berth, sequential", calls, viaBerth);
    const directSeq = await sequential("same ONNX graph in-process, sequential", calls, direct);
    figures.push(berthSeq, directSeq);

    const inferenceLoad: autocannon.Options = {
      url: `${berth.url}/models/${MODEL}`,
      method: "POST",
      headers: auth,
      body,
      connections: Math.min(16, options.connections),
      duration: options.durationSeconds,
    };
    console.log(`Inference under load (${inferenceLoad.connections} connections, ${options.durationSeconds} s)…`);
    figures.push(await load("inference via Berth, concurrent", inferenceLoad));

    const whoami: autocannon.Options = {
      url: `${berth.url}/api/whoami-v2`,
      headers: { authorization: `Bearer ${token}` },
      connections: Math.min(16, options.connections),
      duration: options.durationSeconds,
    };
    console.log("whoami-v2 alone, then during the inference load…");
    figures.push(await load("whoami-v2 alone", whoami));
    const [during, background] = await Promise.all([
      load("whoami-v2 during inference load", whoami),
      load("inference load (background)", inferenceLoad),
    ]);
    figures.push(during, background);

    const heavyLoad: autocannon.Options = {
      ...inferenceLoad,
      url: `${berth.url}/models/${HEAVY}`,
      body: JSON.stringify({ inputs: LONG_TEXT }),
    };
    const heavyOnce = await sequential("heavy model via Berth, sequential", 20, async () => {
      const response = await fetch(heavyLoad.url, { method: "POST", headers: auth, body: heavyLoad.body as string });
      if (!response.ok) throw new Error(`heavy inference failed: ${response.status} ${await response.text()}`);
      await response.arrayBuffer();
    });
    console.log(`whoami-v2 during a CPU-heavy inference load (${heavyOnce.p50Ms} ms of model per call)…`);
    const [duringHeavy, heavyBackground] = await Promise.all([
      load("whoami-v2 during heavy inference load", whoami),
      load("heavy inference load (background)", heavyLoad),
    ]);
    figures.push(heavyOnce, duringHeavy, heavyBackground);

    const overhead = directSeq.p50Ms > 0 ? berthSeq.p50Ms / directSeq.p50Ms : Number.NaN;
    console.log();
    console.table(
      figures.map((f) => ({
        measurement: f.title,
        "req/s": Math.round(f.requestsPerSecond),
        "p50 ms": f.p50Ms,
        "p99 ms": f.p99Ms,
        "non-2xx": f.non2xx,
      })),
    );
    console.log(
      `\nOverhead ratio (p50 latency, Berth / direct): ${overhead.toFixed(1)}× ` +
        `(+${(berthSeq.p50Ms - directSeq.p50Ms).toFixed(2)} ms per call: HTTP, auth, rate-limit and usage queries, worker hop)`,
    );
    const alone = figures.find((f) => f.title === "whoami-v2 alone");
    console.log(
      `whoami-v2 p99: ${alone?.p99Ms} ms alone, ${during.p99Ms} ms during the tiny-model load, ${duringHeavy.p99Ms} ms during the heavy-model load`,
    );
    writeFileSync(
      path.join(options.benchDir, "inference-results.json"),
      `${JSON.stringify({ date: new Date().toISOString(), overheadRatio: overhead, figures }, null, 2)}\n`,
    );
  } finally {
    await berth.stop();
  }
}
