/**
 * A tiny sentiment classifier built from scratch for the inference tests and the bench: a word-level
 * tokenizer (WordPiece over whole words), a config with id2label, and an ONNX graph that averages the
 * word embeddings under the attention mask and applies one linear layer:
 *
 *   logits = (Σ_t E[ids_t]·mask_t / Σ_t mask_t) · W + b
 *
 * `referenceScores` computes the same thing in plain TypeScript from the same weights, so a test checks
 * Berth's answer against numbers it never got from Berth.
 */
import { encodeOnnxModel } from "./onnx-writer.ts";

export const VOCAB = ["[PAD]", "[UNK]", "good", "great", "bad", "awful", "movie", "the", "is", "not", "fine"] as const;
export const LABELS = ["NEGATIVE", "POSITIVE"] as const;
export const HIDDEN = 4;

/** Deterministic, distinct weights: word i, dimension d. */
export const EMBEDDING: number[][] = VOCAB.map((_, i) =>
  Array.from({ length: HIDDEN }, (_, d) => Number((Math.sin(i * 1.7 + d * 0.9) * (i === 0 ? 0 : 1)).toFixed(4))),
);
// Make the sentiment words unmistakable on dimension 0.
for (const [word, value] of [
  ["good", 2],
  ["great", 3],
  ["bad", -2],
  ["awful", -3],
  ["fine", 0.5],
] as const) {
  const row = EMBEDDING[VOCAB.indexOf(word)];
  if (row) row[0] = value;
}
/** W: HIDDEN × LABELS. */
export const WEIGHT: number[][] = [
  [-1.5, 1.5],
  [0.3, -0.2],
  [0.1, 0.4],
  [-0.25, 0.05],
];
export const BIAS = [0.1, -0.1];

const f32 = (x: number) => Math.fround(x);

export function tokenize(text: string): number[] {
  const words = text.toLowerCase().match(/\w+|[^\w\s]+/g) ?? [];
  return words.map((word) => {
    const id = (VOCAB as readonly string[]).indexOf(word);
    return id < 0 ? 1 : id;
  });
}

/** Logits for token ids (all attended), in float64 from the float32 weights. */
export function referenceLogits(ids: readonly number[]): number[] {
  const mean = Array.from({ length: HIDDEN }, (_, d) => {
    const sum = ids.reduce((acc, id) => acc + f32(EMBEDDING[id]?.[d] ?? 0), 0);
    return sum / ids.length;
  });
  return LABELS.map((_, l) => mean.reduce((acc, m, d) => acc + m * f32(WEIGHT[d]?.[l] ?? 0), f32(BIAS[l] ?? 0)));
}

export function softmax(logits: readonly number[]): number[] {
  const max = Math.max(...logits);
  const exps = logits.map((x) => Math.exp(x - max));
  const total = exps.reduce((a, b) => a + b, 0);
  return exps.map((e) => e / total);
}

/** `[{label, score}]` sorted by score, as the Hub's text-classification answers. */
export function referenceScores(text: string): { label: string; score: number }[] {
  return softmax(referenceLogits(tokenize(text)))
    .map((score, i) => ({ label: LABELS[i] as string, score }))
    .sort((a, b) => b.score - a.score);
}

export function classifierOnnx(): Buffer {
  return encodeOnnxModel({
    opset: 13,
    inputs: [
      { name: "input_ids", type: "int64", shape: ["batch", "sequence"] },
      { name: "attention_mask", type: "int64", shape: ["batch", "sequence"] },
    ],
    outputs: [{ name: "logits", type: "float", shape: ["batch", LABELS.length] }],
    initializers: [
      { name: "embedding", type: "float", dims: [VOCAB.length, HIDDEN], values: EMBEDDING.flat() },
      { name: "weight", type: "float", dims: [HIDDEN, LABELS.length], values: WEIGHT.flat() },
      { name: "bias", type: "float", dims: [LABELS.length], values: BIAS },
      { name: "axis_seq", type: "int64", dims: [1], values: [1] },
      { name: "axis_hidden", type: "int64", dims: [1], values: [2] },
    ],
    nodes: [
      { op: "Gather", inputs: ["embedding", "input_ids"], outputs: ["embedded"] },
      { op: "Cast", inputs: ["attention_mask"], outputs: ["mask"], attributes: { to: 1 } },
      { op: "Unsqueeze", inputs: ["mask", "axis_hidden"], outputs: ["mask3"] },
      { op: "Mul", inputs: ["embedded", "mask3"], outputs: ["masked"] },
      { op: "ReduceSum", inputs: ["masked", "axis_seq"], outputs: ["summed"], attributes: { keepdims: 0 } },
      { op: "ReduceSum", inputs: ["mask3", "axis_seq"], outputs: ["count"], attributes: { keepdims: 0 } },
      { op: "Div", inputs: ["summed", "count"], outputs: ["mean"] },
      { op: "MatMul", inputs: ["mean", "weight"], outputs: ["projected"] },
      { op: "Add", inputs: ["projected", "bias"], outputs: ["logits"] },
    ],
  });
}

export function classifierTokenizerJson(): string {
  const special = (id: number, content: string) => ({
    id,
    content,
    single_word: false,
    lstrip: false,
    rstrip: false,
    normalized: false,
    special: true,
  });
  return JSON.stringify({
    version: "1.0",
    truncation: null,
    padding: null,
    added_tokens: [special(0, "[PAD]"), special(1, "[UNK]")],
    normalizer: { type: "Lowercase" },
    pre_tokenizer: { type: "Whitespace" },
    post_processor: null,
    decoder: null,
    model: {
      type: "WordPiece",
      unk_token: "[UNK]",
      continuing_subword_prefix: "##",
      max_input_chars_per_word: 100,
      vocab: Object.fromEntries(VOCAB.map((word, i) => [word, i])),
    },
  });
}

/** Every file of the model repo, ONNX weights under `onnx/model.onnx` as transformers.js expects. */
export function classifierFiles(options: { pipelineTag?: string } = {}): { path: string; content: Buffer }[] {
  const config = {
    model_type: "bert",
    architectures: ["BertForSequenceClassification"],
    id2label: Object.fromEntries(LABELS.map((label, i) => [String(i), label])),
    label2id: Object.fromEntries(LABELS.map((label, i) => [label, i])),
    hidden_size: HIDDEN,
    vocab_size: VOCAB.length,
  };
  const tokenizerConfig = {
    tokenizer_class: "BertTokenizer",
    pad_token: "[PAD]",
    unk_token: "[UNK]",
    model_max_length: 128,
  };
  const readme = `---\npipeline_tag: ${options.pipelineTag ?? "text-classification"}\nlibrary_name: transformers.js\n---\n# tiny sentiment\n`;
  return [
    { path: "README.md", content: Buffer.from(readme) },
    { path: "config.json", content: Buffer.from(JSON.stringify(config, null, 2)) },
    { path: "tokenizer.json", content: Buffer.from(classifierTokenizerJson()) },
    { path: "tokenizer_config.json", content: Buffer.from(JSON.stringify(tokenizerConfig)) },
    { path: "onnx/model.onnx", content: classifierOnnx() },
  ];
}

/** An encoder over the same vocabulary: `last_hidden_state` is the embedding of each token. */
export function encoderOnnx(): Buffer {
  return encodeOnnxModel({
    opset: 13,
    inputs: [
      { name: "input_ids", type: "int64", shape: ["batch", "sequence"] },
      { name: "attention_mask", type: "int64", shape: ["batch", "sequence"] },
    ],
    outputs: [{ name: "last_hidden_state", type: "float", shape: ["batch", "sequence", HIDDEN] }],
    initializers: [
      { name: "embedding", type: "float", dims: [VOCAB.length, HIDDEN], values: EMBEDDING.flat() },
      { name: "axis_hidden", type: "int64", dims: [1], values: [2] },
    ],
    nodes: [
      { op: "Gather", inputs: ["embedding", "input_ids"], outputs: ["gathered"] },
      // attention_mask is declared (transformers.js feeds it) and used, so the graph keeps it.
      { op: "Cast", inputs: ["attention_mask"], outputs: ["mask"], attributes: { to: 1 } },
      { op: "Unsqueeze", inputs: ["mask", "axis_hidden"], outputs: ["mask3"] },
      { op: "Mul", inputs: ["gathered", "mask3"], outputs: ["last_hidden_state"] },
    ],
  });
}

/** The mean of the token embeddings, L2-normalized: what an embeddings endpoint returns for `text`. */
export function referenceEmbedding(text: string): number[] {
  const ids = tokenize(text);
  const mean = Array.from(
    { length: HIDDEN },
    (_, d) => ids.reduce((acc, id) => acc + f32(EMBEDDING[id]?.[d] ?? 0), 0) / ids.length,
  );
  const norm = Math.sqrt(mean.reduce((acc, x) => acc + x * x, 0));
  return mean.map((x) => x / norm);
}

export function encoderFiles(): { path: string; content: Buffer }[] {
  const config = { model_type: "bert", architectures: ["BertModel"], hidden_size: HIDDEN, vocab_size: VOCAB.length };
  return classifierFiles().map((file) =>
    file.path === "onnx/model.onnx"
      ? { ...file, content: encoderOnnx() }
      : file.path === "config.json"
        ? { ...file, content: Buffer.from(JSON.stringify(config)) }
        : file.path === "README.md"
          ? { ...file, content: Buffer.from("# tiny encoder (no pipeline_tag: the architecture says it)\n") }
          : file,
  );
}

export const TOKEN_LABELS = ["O", "POS", "NEG"] as const;
/** Per-token logits [O, POS, NEG] = [1.5, x₀, −x₀] where x₀ is dimension 0 of the word's embedding. */
const TOKEN_WEIGHT = [[0, 1, -1], ...Array.from({ length: HIDDEN - 1 }, () => [0, 0, 0])];
const TOKEN_BIAS = [1.5, 0, 0];

export function referenceTokenScores(id: number): number[] {
  const x0 = f32(EMBEDDING[id]?.[0] ?? 0);
  return softmax([TOKEN_BIAS[0] ?? 0, x0, -x0]);
}

export function tokenClassifierFiles(): { path: string; content: Buffer }[] {
  const onnx = encodeOnnxModel({
    opset: 13,
    inputs: [
      { name: "input_ids", type: "int64", shape: ["batch", "sequence"] },
      { name: "attention_mask", type: "int64", shape: ["batch", "sequence"] },
    ],
    outputs: [{ name: "logits", type: "float", shape: ["batch", "sequence", TOKEN_LABELS.length] }],
    initializers: [
      { name: "embedding", type: "float", dims: [VOCAB.length, HIDDEN], values: EMBEDDING.flat() },
      { name: "weight", type: "float", dims: [HIDDEN, TOKEN_LABELS.length], values: TOKEN_WEIGHT.flat() },
      { name: "bias", type: "float", dims: [TOKEN_LABELS.length], values: TOKEN_BIAS },
      { name: "axis_hidden", type: "int64", dims: [1], values: [2] },
    ],
    nodes: [
      { op: "Gather", inputs: ["embedding", "input_ids"], outputs: ["gathered"] },
      { op: "Cast", inputs: ["attention_mask"], outputs: ["mask"], attributes: { to: 1 } },
      { op: "Unsqueeze", inputs: ["mask", "axis_hidden"], outputs: ["mask3"] },
      { op: "Mul", inputs: ["gathered", "mask3"], outputs: ["masked"] },
      { op: "MatMul", inputs: ["masked", "weight"], outputs: ["projected"] },
      { op: "Add", inputs: ["projected", "bias"], outputs: ["logits"] },
    ],
  });
  const config = {
    model_type: "bert",
    architectures: ["BertForTokenClassification"],
    id2label: Object.fromEntries(TOKEN_LABELS.map((label, i) => [String(i), label])),
    label2id: Object.fromEntries(TOKEN_LABELS.map((label, i) => [label, i])),
    hidden_size: HIDDEN,
  };
  return classifierFiles().map((file) =>
    file.path === "onnx/model.onnx"
      ? { ...file, content: onnx }
      : file.path === "config.json"
        ? { ...file, content: Buffer.from(JSON.stringify(config)) }
        : file.path === "README.md"
          ? { ...file, content: Buffer.from("# tiny tagger\n") }
          : file,
  );
}
