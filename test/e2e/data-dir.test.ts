/**
 * The data dir is Berth's user's alone (src/data-dir.ts): a real `berth serve` tightens a 0755 data dir
 * it finds to 0700, and every file and directory that the server, git and SQLite create in it while a
 * repo is created, a file committed and an LFS object uploaded has no group or other permission bit.
 * SQLite only: it is the dialect whose database lives in the data dir.
 */
import { readdirSync, statSync } from "node:fs";
import path from "node:path";
import { createRepo, downloadFile, uploadFiles } from "@huggingface/hub";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type BerthServer, startBerthServer } from "../helpers/berth-server.ts";
import { seedToken, seedUser } from "../helpers/seed.ts";

/** Every path under `root` (itself included) with its permission bits. */
function walk(root: string): { path: string; mode: number }[] {
  const out = [{ path: root, mode: statSync(root).mode & 0o777 }];
  for (const entry of readdirSync(root, { withFileTypes: true })) {
    const full = path.join(root, entry.name);
    if (entry.isDirectory()) out.push(...walk(full));
    else out.push({ path: full, mode: statSync(full).mode & 0o777 });
  }
  return out;
}

describe("the data directory of a Berth process", () => {
  let server: BerthServer;
  let token: string;

  beforeAll(async () => {
    server = await startBerthServer({ dialect: "sqlite", dataDirMode: 0o755 });
    const ctx = await server.openContext();
    try {
      // Rows only: the repo and its files are made by the server, so by its processes and umask.
      token = await seedToken(ctx, await seedUser(ctx, "alice"), { role: "write" });
    } finally {
      await ctx.close();
    }
  }, 120_000);
  afterAll(async () => server?.stop());

  it("was tightened from 0755 to 0700 at start, with one warning", () => {
    expect((statSync(server.dataDir).mode & 0o777).toString(8)).toBe("700");
    const warnings = server.output().match(/The data directory was open to other users/g) ?? [];
    expect(warnings).toHaveLength(1);
  });

  it("holds nothing readable, writable or searchable by group or others", async () => {
    const hubUrl = server.url;
    const repo = { type: "model" as const, name: "alice/private-bits" };
    await createRepo({ repo, accessToken: token, hubUrl });
    const weights = Buffer.alloc(64 * 1024, 7);
    await uploadFiles({
      repo,
      accessToken: token,
      hubUrl,
      files: [
        { path: "notes.txt", content: new Blob(["hello\n"]) },
        { path: "weights.bin", content: new Blob([weights]) },
      ],
      useWebWorkers: false,
    });
    const back = await downloadFile({ repo, path: "weights.bin", accessToken: token, hubUrl });
    expect(Buffer.from(await (back as Blob).arrayBuffer()).equals(weights)).toBe(true);

    const entries = walk(server.dataDir);
    // The walk saw what was made: the database, a git repo with objects, the LFS object.
    const names = entries.map((e) => path.relative(server.dataDir, e.path));
    expect(names).toContain("berth.sqlite");
    expect(names.some((n) => n.startsWith("repos/") && n.includes("/objects/"))).toBe(true);
    const ctx = await server.openContext();
    try {
      const lfsObjects = await ctx.db.selectFrom("lfs_object").select("oid").execute();
      expect(lfsObjects).toHaveLength(1);
      const oid = lfsObjects[0]?.oid ?? "";
      expect(names).toContain(path.join("lfs", "objects", oid.slice(0, 2), oid.slice(2, 4), oid));
    } finally {
      await ctx.close();
    }
    const open = entries.filter((e) => (e.mode & 0o077) !== 0).map((e) => `${e.mode.toString(8)} ${e.path}`);
    expect(open).toEqual([]);
  });
});
