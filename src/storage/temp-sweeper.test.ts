import { mkdirSync, mkdtempSync, readdirSync, rmSync, utimesSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { sweepTemporaryFiles } from "./temp-sweeper.ts";

describe("sweepTemporaryFiles", () => {
  let dataDir: string;
  beforeEach(() => {
    dataDir = mkdtempSync(path.join(tmpdir(), "berth-sweep-"));
    mkdirSync(path.join(dataDir, "tmp"));
  });
  afterEach(() => rmSync(dataDir, { recursive: true, force: true }));

  const old = (file: string) => {
    const when = new Date(Date.now() - 2 * 3600_000);
    utimesSync(file, when, when);
  };

  it("removes what nobody touched for the idle time, and keeps work in progress", async () => {
    const tmp = path.join(dataDir, "tmp");
    writeFileSync(path.join(tmp, "lfs-killed"), "partial");
    old(path.join(tmp, "lfs-killed"));
    writeFileSync(path.join(tmp, "lfs-writing"), "partial");
    mkdirSync(path.join(tmp, "init-abc.git", "objects"), { recursive: true });
    old(path.join(tmp, "init-abc.git", "objects"));
    old(path.join(tmp, "init-abc.git"));
    // A directory whose content still changes is in use, however old the directory itself.
    mkdirSync(path.join(tmp, "trash-live"));
    writeFileSync(path.join(tmp, "trash-live", "fresh"), "x");
    old(path.join(tmp, "trash-live"));

    const result = await sweepTemporaryFiles(dataDir, 3600_000);
    expect([...result.removed].sort()).toEqual(["init-abc.git", "lfs-killed"]);
    expect(readdirSync(tmp).sort()).toEqual(["lfs-writing", "trash-live"]);
    expect(result.kept).toBe(2);
  });

  it("does nothing without a tmp directory", async () => {
    rmSync(path.join(dataDir, "tmp"), { recursive: true });
    expect(await sweepTemporaryFiles(dataDir, 1000)).toEqual({ removed: [], kept: 0 });
  });
});
