import { Readable } from "node:stream";
import { __internal_XetBlob as XetBlob } from "@huggingface/hub";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { testDialects } from "../../test/helpers/databases.ts";
import { seedRepo, seedUser } from "../../test/helpers/seed.ts";
import { readAll } from "../../test/helpers/streams.ts";
import { makeTestContext, type TestContext } from "../../test/helpers/test-context.ts";
import { compressibleBytesFrom, randomBytesFrom } from "../../test/helpers/xet-data.ts";
import { captureHubUpload } from "../../test/helpers/xet-hub-client.ts";
import { registerContent, xetStorageOf } from "../../test/helpers/xet-upload.ts";
import type { Repo } from "../domain/entities.ts";
import { findXetFile } from "../store/xet-files.ts";
import { decodeFileTerms } from "./file-terms.ts";
import { type ReconstructionPlan, toReconstructionV1, toReconstructionV2 } from "./reconstruction-plan.ts";
import { planXetFile, readXetFile, type XetFileContent } from "./reconstruction-reader.ts";
import { registerShard } from "./shard-registration.ts";
import type { StoredXorb, XetStorage } from "./xet-storage.ts";
import { decodeChunks } from "./xorb-codec.ts";
import { byteRangeOf } from "./xorb-index.ts";
import { storeXorb } from "./xorb-upload.ts";

const sign = (xorb: string, bytes: { start: number; end: number }) =>
  `http://cas.test/data/${xorb}?start=${bytes.start}&end=${bytes.end}`;

/** A v1 answer read as hf_xet reads it: each term from the fetch_info entry that covers it. */
async function readV1(storage: XetStorage, plan: ReconstructionPlan, xorbs: Map<string, StoredXorb>): Promise<Buffer> {
  const answer = toReconstructionV1(plan, sign);
  const parts: Uint8Array[] = [];
  for (const term of answer.terms) {
    const entries = answer.fetch_info[term.hash] ?? [];
    const entry = entries.find((e) => e.range.start <= term.range.start && e.range.end >= term.range.end);
    if (!entry) throw new Error(`no fetch_info entry covers term ${term.hash}`);
    const xorb = xorbs.get(term.hash) as StoredXorb;
    expect(entry.url_range).toEqual(byteRangeOf(xorb.index, entry.range.start, entry.range.end));
    const bytes = await readAll(storage.objects.get(xorb.objectKey, entry.url_range));
    const chunks = [...decodeChunks(bytes, entry.range.end - entry.range.start)];
    const mine = Buffer.concat(chunks.slice(term.range.start - entry.range.start, term.range.end - entry.range.start));
    expect(mine.length).toBe(term.unpacked_length);
    parts.push(mine);
  }
  return Buffer.concat(parts).subarray(answer.offset_into_first_range, answer.offset_into_first_range + plan.length);
}

/** A fetch that answers XetBlob's requests from the planner and the object store, checking its Range headers. */
function casFetch(storage: XetStorage, file: XetFileContent, served: string[]): typeof fetch {
  const objectKeys = new Map<string, string>();
  return async (input, init) => {
    const url = new URL(String(input));
    const range = new Headers(init?.headers).get("range");
    if (url.pathname.includes("xet-read-token")) {
      return Response.json({ accessToken: "t", casUrl: "http://cas.test", exp: Math.floor(Date.now() / 1000) + 3600 });
    }
    const reconstruction = /^\/v2\/reconstructions\/([0-9a-f]{64})$/.exec(url.pathname);
    if (reconstruction) {
      const [start, end] = (range ?? "").replace("bytes=", "").split("-").map(Number);
      const { plan, xorbs } = await planXetFile(storage, file, { start: start as number, end: end as number });
      for (const [hash, xorb] of xorbs) objectKeys.set(hash, xorb.objectKey);
      const answer = toReconstructionV2(plan, sign);
      // Every term lies inside one fetch entry of its xorb, as XetBlob's `locate` requires.
      for (const term of answer.terms) {
        const covering = (answer.xorbs[term.hash] ?? []).filter((entry) =>
          entry.ranges.some((r) => r.chunks.start <= term.range.start && r.chunks.end >= term.range.end),
        );
        expect(covering).toHaveLength(1);
      }
      return Response.json(answer);
    }
    const data = /^\/data\/([0-9a-f]{64})$/.exec(url.pathname);
    if (data?.[1]) {
      const signed = `bytes=${url.searchParams.get("start")}-${url.searchParams.get("end")}`;
      expect(range).toBe(signed);
      served.push(signed);
      const bytes = { start: Number(url.searchParams.get("start")), end: Number(url.searchParams.get("end")) };
      const body = storage.objects.get(objectKeys.get(data[1]) ?? "", bytes);
      return new Response(Readable.toWeb(body as Readable) as ReadableStream, { status: 206 });
    }
    throw new Error(`unexpected request ${url}`);
  };
}

describe.each(testDialects())("reconstruction on %s", (dialect) => {
  let ctx: TestContext;
  let storage: XetStorage;
  let repo: Repo;
  beforeEach(async () => {
    ctx = await makeTestContext(dialect);
    storage = xetStorageOf(ctx);
    repo = await seedRepo(ctx, await seedUser(ctx, "alice"), "alice/one");
  });
  afterEach(async () => ctx?.dispose());

  async function registered(
    content: Uint8Array,
    chunksPerXorb: number,
  ): Promise<XetFileContent & { chunkEnds: number[] }> {
    const upload = await registerContent(storage, repo.id, content, { chunksPerXorb });
    const row = await findXetFile(ctx.db, upload.file.fileHash);
    if (!row) throw new Error("not registered");
    const terms = decodeFileTerms(row.terms);
    const { xorbs } = await planXetFile(storage, { size: row.size, terms });
    const chunkEnds: number[] = [];
    let at = 0;
    for (const term of terms) {
      const { index } = xorbs.get(term.xorbHash) as StoredXorb;
      for (let c = term.chunkStart; c < term.chunkEnd; c++) {
        at += (index.unpackedOffsets[c + 1] as number) - (index.unpackedOffsets[c] as number);
        chunkEnds.push(at);
      }
    }
    return { size: row.size, terms, chunkEnds };
  }

  it("reads files and byte ranges starting and ending mid-chunk, across terms and xorbs", async () => {
    const content = new Uint8Array([...compressibleBytesFrom(1, 1_200_000), ...randomBytesFrom(2, 1_300_000)]);
    const file = await registered(content, 3);
    expect(file.terms.length).toBeGreaterThan(5);
    const [c1, c2, c3] = file.chunkEnds as [number, number, number];
    const xorbEnd = file.terms[0]?.unpackedBytes as number;
    const ranges: [number, number][] = [
      [0, content.length - 1],
      [0, 0],
      [content.length - 1, content.length - 1],
      [100, 200],
      [c1 - 1, c1],
      [c1, c2 - 1],
      [c1 + 17, c3 + 5],
      [xorbEnd - 3, xorbEnd + 70_000],
      [12_345, content.length - 12_345],
      [c2 + 1, content.length - 1],
    ];
    for (const [start, end] of ranges) {
      const read = await readAll(readXetFile(storage, file, { start, end }));
      expect(read.equals(content.subarray(start, end + 1)), `bytes ${start}-${end}`).toBe(true);
      const { plan, xorbs } = await planXetFile(storage, file, { start, end });
      expect((await readV1(storage, plan, xorbs)).equals(content.subarray(start, end + 1)), `v1 ${start}-${end}`).toBe(
        true,
      );
    }
    expect((await readAll(readXetFile(storage, file))).equals(content)).toBe(true);
  });

  it("plans a range with the first and last terms trimmed to the chunks it needs", async () => {
    const file = await registered(randomBytesFrom(3, 1_000_000), 4);
    const [c1, c2, c3] = file.chunkEnds as [number, number, number];
    const { plan } = await planXetFile(storage, file, { start: c1 + 10, end: c3 - 10 });
    // Chunks 1 and 2 of the first xorb: chunk 0 is not fetched, nor anything after chunk 2.
    expect(plan.terms).toEqual([
      { xorbHash: file.terms[0]?.xorbHash, chunkStart: 1, chunkEnd: 3, unpackedLength: c3 - c1 },
    ]);
    expect(plan.offsetIntoFirstRange).toBe(10);
    expect(plan.length).toBe(c3 - c1 - 19);
    expect([...plan.fetches.values()].flat().map((f) => f.chunks)).toEqual([{ start: 1, end: 3 }]);
    expect(c2).toBeGreaterThan(c1);
  });

  it("serves @huggingface/hub's XetBlob whole files and slices from v2 plans", async () => {
    const content = new Uint8Array([...randomBytesFrom(4, 900_000), ...compressibleBytesFrom(5, 900_000)]);
    const file = await registered(content, 5);
    const served: string[] = [];
    const [c1, , c3] = file.chunkEnds as [number, number, number];
    const slices: [number, number][] = [
      [0, content.length],
      [c1 + 1, c3 - 1],
      [7, 8],
      [content.length - 5000, content.length],
      [300_000, 1_500_000],
    ];
    for (const [start, end] of slices) {
      const blob = new XetBlob({
        fetch: casFetch(storage, file, served),
        refreshUrl: "http://hub.test/api/models/alice/one/xet-read-token/main",
        hash: "0".repeat(64),
        size: file.size,
        accessToken: "hf_unused",
      });
      const bytes = Buffer.from(await blob.slice(start, end).arrayBuffer());
      expect(bytes.equals(content.subarray(start, end)), `slice ${start}-${end}`).toBe(true);
    }
    expect(served.length).toBeGreaterThan(slices.length);
  });

  it("reads a file whose terms use the same chunks twice, as @huggingface/hub uploads repeated content", async () => {
    const block = randomBytesFrom(6, 400_000);
    const content = new Uint8Array([...block, ...block, ...block.subarray(0, 150_000)]);
    const upload = await captureHubUpload([{ path: "twice.bin", content }]);
    for (const [hash, body] of upload.xorbs) await storeXorb(storage, repo.id, hash, body);
    await registerShard(storage, repo.id, upload.shards[0] as Uint8Array);
    const row = await findXetFile(ctx.db, upload.files[0]?.xetHash ?? "");
    const file = { size: row?.size ?? 0, terms: decodeFileTerms(row?.terms ?? new Uint8Array()) };
    expect(file.terms.length).toBeGreaterThan(1);
    expect((await readAll(readXetFile(storage, file))).equals(content)).toBe(true);
    const range = { start: 399_000, end: 820_000 };
    expect(
      (await readAll(readXetFile(storage, file, range))).equals(content.subarray(range.start, range.end + 1)),
    ).toBe(true);
  });

  it("plans and reads an empty file as nothing", async () => {
    const empty = { size: 0, terms: [] };
    const { plan } = await planXetFile(storage, empty);
    expect(toReconstructionV2(plan, sign)).toEqual({ offset_into_first_range: 0, terms: [], xorbs: {} });
    expect(toReconstructionV1(plan, sign)).toEqual({ offset_into_first_range: 0, terms: [], fetch_info: {} });
    expect((await readAll(readXetFile(storage, empty))).length).toBe(0);
  });
});
