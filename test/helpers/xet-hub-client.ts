/**
 * @huggingface/hub's own Xet writer and reader internals, driven without a network: `uploadShards` (which
 * chunks, builds xorbs and shards as the client does in `commit()`) with a `fetch` that records what it
 * POSTs, and `parseShardData`, the parser the client applies to dedup answers. Loaded by a computed path so
 * the type checker does not compile the package's sources with this project's settings.
 */
import { createHash } from "node:crypto";

export interface CapturedUpload {
  /** Xorb bodies by the hash in their upload path. */
  readonly xorbs: Map<string, Uint8Array>;
  readonly shards: Uint8Array[];
  /** What the client reported per file. */
  readonly files: { path: string; xetHash: string; sha256: string | undefined }[];
}

interface UploadShards {
  uploadShards(
    source: AsyncGenerator<{ content: Blob; path: string; sha256?: string }>,
    params: Record<string, unknown>,
  ): AsyncGenerator<{ event: string; path?: string; xetHash?: string; sha256?: string }>;
}

export interface JsShardData {
  hmacKey: string;
  xorbs: { hash: string; chunks: { hash: string; startOffset: number; unpackedLength: number }[] }[];
}

const utils = "../../node_modules/@huggingface/hub/src/utils";
const { uploadShards } = (await import(`${utils}/uploadShards.ts`)) as UploadShards;
const { parseShardData } = (await import(`${utils}/shardParser.ts`)) as {
  parseShardData(shard: Blob): Promise<JsShardData>;
};

export { parseShardData };

export interface UploadInput {
  readonly path: string;
  readonly content: Uint8Array;
  /** The SHA-256 the client claims (as `commit()` computes it); defaults to the true one. */
  readonly sha256?: string;
}

/** Runs the client's upload of `files` and returns the xorbs and shards it would have sent to the CAS. */
export async function captureHubUpload(files: readonly UploadInput[]): Promise<CapturedUpload> {
  const xorbs = new Map<string, Uint8Array>();
  const shards: Uint8Array[] = [];
  const record = async (input: string | URL | Request, init?: RequestInit): Promise<Response> => {
    const url = new URL(String(input));
    const raw: unknown = init?.body;
    const body = raw instanceof Uint8Array ? new Uint8Array(raw) : undefined;
    const xorb = /^\/v1\/xorbs\/default\/([0-9a-f]{64})$/.exec(url.pathname);
    if (init?.method === "POST" && xorb?.[1] && body) {
      xorbs.set(xorb[1], body);
      return Response.json({ was_inserted: true });
    }
    if (init?.method === "POST" && url.pathname === "/v1/shards" && body) {
      shards.push(body);
      return Response.json({ result: 1 });
    }
    if (url.pathname.startsWith("/v1/chunks/")) return new Response("", { status: 404 });
    throw new Error(`unexpected request ${init?.method ?? "GET"} ${url}`);
  };
  async function* source() {
    for (const file of files) {
      const sha256 = file.sha256 ?? createHash("sha256").update(file.content).digest("hex");
      yield { path: file.path, content: new Blob([file.content.slice()]), sha256 };
    }
  }
  const reported: CapturedUpload["files"] = [];
  const events = uploadShards(source(), {
    accessToken: "hf_unused",
    hubUrl: "http://hub.test",
    fetch: record,
    repo: { type: "model", name: "alice/model" },
    rev: "main",
    xetParams: {
      casUrl: "http://cas.test",
      accessToken: "cas-token",
      expiresAt: new Date(Date.now() + 3600_000),
      refreshWriteTokenUrl: "http://hub.test/api/models/alice/model/xet-write-token/main",
    },
  });
  for await (const event of events) {
    if (event.event === "file" && event.path && event.xetHash) {
      reported.push({ path: event.path, xetHash: event.xetHash, sha256: event.sha256 });
    }
  }
  return { xorbs, shards, files: reported };
}
