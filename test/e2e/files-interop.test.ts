import { createHash, randomBytes } from "node:crypto";
import {
  commit,
  createBranch,
  deleteFile,
  downloadFile,
  fileDownloadInfo,
  listFiles,
  pathsInfo,
  uploadFiles,
} from "@huggingface/hub";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type BerthServer, startBerthServer } from "../helpers/berth-server.ts";
import { testDialects } from "../helpers/databases.ts";
import { seedRepo, seedToken, seedUser } from "../helpers/seed.ts";

async function collect<T>(iterable: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of iterable) out.push(item);
  return out;
}

const gitBlobId = (content: Buffer) =>
  createHash("sha1")
    .update(Buffer.concat([Buffer.from(`blob ${content.length}\0`), content]))
    .digest("hex");

describe.each(testDialects())("files through @huggingface/hub against a Berth process on %s", (dialect) => {
  let server: BerthServer;
  let hubUrl: string;
  let aliceWrite: string;
  let bobWrite: string;
  const repo = { type: "model" as const, name: "alice/files" };
  const text = Buffer.from("hello from berth\n");
  const big = randomBytes(12 * 1024 * 1024);
  const bigSha = createHash("sha256").update(big).digest("hex");

  beforeAll(async () => {
    server = await startBerthServer({ dialect });
    hubUrl = server.url;
    const ctx = await server.openContext();
    try {
      const alice = await seedUser(ctx, "alice");
      const bob = await seedUser(ctx, "bob");
      await seedRepo(ctx, alice, "alice/files");
      aliceWrite = await seedToken(ctx, alice, { role: "write" });
      bobWrite = await seedToken(ctx, bob, { role: "write" });
    } finally {
      await ctx.close();
    }
  }, 120_000);
  afterAll(async () => server?.stop());

  it("uploads a small file inline and a 12 MB binary through LFS, and reads both back", async () => {
    const result = await uploadFiles({
      repo,
      accessToken: aliceWrite,
      hubUrl,
      files: [
        { path: "notes/hello.txt", content: new Blob([text]) },
        { path: "weights.dat", content: new Blob([big]) },
      ],
      useWebWorkers: false,
    });
    expect(result?.commit.oid).toMatch(/^[0-9a-f]{40}$/);
    expect(result?.commit.url).toBe(`${hubUrl}/alice/files/commit/${result?.commit.oid}`);

    const small = await downloadFile({ repo, path: "notes/hello.txt", accessToken: aliceWrite, hubUrl });
    expect(Buffer.from(await (small as Blob).arrayBuffer()).equals(text)).toBe(true);
    const large = await downloadFile({ repo, path: "weights.dat", accessToken: aliceWrite, hubUrl });
    expect(Buffer.from(await (large as Blob).arrayBuffer()).equals(big)).toBe(true);

    const info = await fileDownloadInfo({ repo, path: "weights.dat", accessToken: aliceWrite, hubUrl });
    expect(info?.size).toBe(big.length);
    expect(info?.etag).toBe(`"${bigSha}"`);
    const smallInfo = await fileDownloadInfo({ repo, path: "notes/hello.txt", accessToken: aliceWrite, hubUrl });
    expect(smallInfo?.etag).toBe(`"${gitBlobId(text)}"`);
    expect(await fileDownloadInfo({ repo, path: "missing.txt", accessToken: aliceWrite, hubUrl })).toBeNull();
  });

  it("lists files and describes paths, with LFS details for the pointer", async () => {
    const files = await collect(listFiles({ repo, recursive: true, accessToken: aliceWrite, hubUrl }));
    const paths = files.filter((f) => f.type === "file").map((f) => f.path);
    expect(paths).toEqual(expect.arrayContaining([".gitattributes", "notes/hello.txt", "weights.dat"]));
    const infos = await pathsInfo({
      repo,
      paths: ["weights.dat", "notes/hello.txt"],
      expand: false,
      accessToken: aliceWrite,
      hubUrl,
    });
    const weights = infos.find((i) => i.path === "weights.dat");
    expect(weights?.lfs?.oid).toBe(bigSha);
    expect(weights?.size).toBe(big.length);
    expect(infos.find((i) => i.path === "notes/hello.txt")?.oid).toBe(gitBlobId(text));
  });

  it("deletes a file", async () => {
    await deleteFile({ repo, path: "notes/hello.txt", accessToken: aliceWrite, hubUrl });
    expect(await fileDownloadInfo({ repo, path: "notes/hello.txt", accessToken: aliceWrite, hubUrl })).toBeNull();
  });

  it("creates a branch and commits to it without touching main", async () => {
    await createBranch({ repo, branch: "dev", accessToken: aliceWrite, hubUrl });
    await uploadFiles({
      repo,
      accessToken: aliceWrite,
      hubUrl,
      branch: "dev",
      files: [{ path: "dev.txt", content: new Blob(["dev"]) }],
    });
    expect(
      await fileDownloadInfo({ repo, path: "dev.txt", revision: "dev", accessToken: aliceWrite, hubUrl }),
    ).not.toBeNull();
    expect(await fileDownloadInfo({ repo, path: "dev.txt", accessToken: aliceWrite, hubUrl })).toBeNull();
  });

  it("opens a pull request from another user's write token with isPullRequest", async () => {
    const result = await commit({
      repo,
      accessToken: bobWrite,
      hubUrl,
      title: "Proposal",
      isPullRequest: true,
      operations: [{ operation: "addOrUpdate", path: "proposal.txt", content: new Blob(["please"]) }],
    });
    expect(result?.pullRequestUrl).toBe(`${hubUrl}/alice/files/discussions/1`);
    const onPr = await downloadFile({
      repo,
      path: "proposal.txt",
      revision: "refs/pr/1",
      accessToken: bobWrite,
      hubUrl,
    });
    expect(await (onPr as Blob).text()).toBe("please");
    expect(await fileDownloadInfo({ repo, path: "proposal.txt", accessToken: bobWrite, hubUrl })).toBeNull();
  });

  it("refuses a commit from a user without write access", async () => {
    await expect(
      uploadFiles({ repo, accessToken: bobWrite, hubUrl, files: [{ path: "x.txt", content: new Blob(["x"]) }] }),
    ).rejects.toMatchObject({ statusCode: 403 });
  });
});
