/**
 * A clean stop: `npx berth serve` (bin/berth.js) and `npm start` on SIGTERM and SIGINT finish the
 * download in flight, close the database (SQLite leaves no write-ahead log behind) and exit 0. And the
 * first start tells how to create the first admin, a command that works as printed.
 */
import { spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, statSync } from "node:fs";
import http from "node:http";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { type BerthServer, startBerthServer } from "../helpers/berth-server.ts";
import { commitFiles } from "../helpers/repo-content.ts";
import { seedRepo, seedUser } from "../helpers/seed.ts";

const SIZE = 32 * 1024 * 1024;
const CONTENT = Buffer.alloc(SIZE, 7);

async function seedDownload(server: BerthServer): Promise<void> {
  const ctx = await server.openContext();
  try {
    const alice = await seedUser(ctx, "alice");
    const repo = await seedRepo(ctx, alice, "alice/big");
    await commitFiles(ctx, repo, [{ path: "weights.bin", content: CONTENT, lfs: true }]);
  } finally {
    await ctx.close();
  }
}

/** Starts a download and stops reading after the first chunk; `finish` reads the rest. */
function slowDownload(url: string): Promise<{ finish: () => Promise<Buffer> }> {
  return new Promise((resolve, reject) => {
    const request = http.get(url, { agent: false }, (response) => {
      const chunks: Buffer[] = [];
      response.once("data", (chunk: Buffer) => {
        chunks.push(chunk);
        response.pause();
        resolve({
          finish: () =>
            new Promise<Buffer>((done, fail) => {
              response.on("data", (more: Buffer) => chunks.push(more));
              response.on("end", () => done(Buffer.concat(chunks)));
              response.on("error", fail);
              response.resume();
            }),
        });
      });
    });
    request.on("error", reject);
  });
}

describe("stopping Berth", () => {
  it.each([
    ["cli", "SIGTERM", "process"],
    ["cli", "SIGINT", "group"],
    ["npm", "SIGINT", "group"],
    ["npm", "SIGTERM", "process"],
  ] as const)(
    "%s on %s to the %s finishes the request in flight, closes the database and exits",
    async (entry, signal, target) => {
      const server = await startBerthServer({ dialect: "sqlite", entry, env: { BERTH_LOG_LEVEL: "info" } });
      try {
        await seedDownload(server);
        const download = await slowDownload(`${server.url}/alice/big/resolve/main/weights.bin`);
        server.signal(signal, target);
        const body = await download.finish();
        expect(body.length).toBe(SIZE);
        expect(createHash("sha256").update(body).digest("hex")).toBe(
          createHash("sha256").update(CONTENT).digest("hex"),
        );
        const code = await server.exited;
        expect(code, server.output()).toBe(0);
        expect(server.output()).toContain("Shutting down");
        expect(server.output()).toContain("Berth stopped");
        const wal = path.join(server.dataDir, "berth.sqlite-wal");
        expect(existsSync(wal) ? statSync(wal).size : 0).toBe(0);
      } finally {
        await server.stop();
      }
    },
    90_000,
  );

  it("prints on first start a command that creates the first admin, password included", async () => {
    const server = await startBerthServer({ dialect: "sqlite", entry: "cli" });
    try {
      const message = server.output();
      const command = /^ {2}(printf 'Password: '.*)$/m.exec(message)?.[1];
      expect(command, message).toBeDefined();
      expect(command).toContain(`--data-dir ${server.dataDir}`);
      // As a user would run it, with the password typed on the terminal (here: on stdin).
      const run = spawn("bash", ["-c", command as string], {
        cwd: path.resolve(import.meta.dirname, "../.."),
        stdio: ["pipe", "pipe", "pipe"],
      });
      let out = "";
      run.stdout.on("data", (chunk: Buffer) => {
        out += chunk.toString();
      });
      run.stderr.on("data", (chunk: Buffer) => {
        out += chunk.toString();
      });
      run.stdin.end("a long enough password\n");
      const code = await new Promise<number | null>((resolve) => run.on("close", resolve));
      expect(code, out).toBe(0);
      expect(out).toContain("Created admin user admin");
      const signIn = await fetch(`${server.url}/api/auth/login`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ username: "admin", password: "a long enough password" }),
      });
      expect(signIn.status).toBe(200);
    } finally {
      await server.stop();
    }
  }, 90_000);
});
