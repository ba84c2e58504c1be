/**
 * Credentials never reach the logs (tokens.md §2): not a token from a header, a Basic password, a query
 * string or a path, not a session cookie, not a password. The app gets a plain pino logger at the
 * most verbose level writing to memory, so the test does not lean on the production logger's own
 * redaction: what the app itself writes must already be clean.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { Writable } from "node:stream";
import pino from "pino";
import { afterEach, describe, expect, it } from "vitest";
import { seedRepo, seedToken, seedUser, TEST_PASSWORD } from "../../test/helpers/seed.ts";
import { TEST_PUBLIC_URL } from "../../test/helpers/test-context.ts";
import { loadConfig } from "../config.ts";
import { type Context, createContext } from "../context.ts";
import { buildApp } from "./app.ts";

describe("request logs", () => {
  let ctx: Context | undefined;
  let dataDir: string | undefined;
  afterEach(async () => {
    await ctx?.close();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  /** A context whose logger writes every line, at every level, into `lines`. */
  async function capturingContext(lines: string[]): Promise<Context> {
    const sink = new Writable({
      write(chunk, _encoding, done) {
        lines.push(String(chunk));
        done();
      },
    });
    dataDir = mkdtempSync(path.join(tmpdir(), "berth-log-"));
    const config = loadConfig({ dataDir, publicUrl: TEST_PUBLIC_URL, logLevel: "trace" }, {});
    ctx = await createContext(config, {
      secrets: { tokenKey: Buffer.alloc(32, 7) },
      logger: pino({ level: "trace" }, sink),
    });
    return ctx;
  }

  it("never contain a token, a session cookie or a password", async () => {
    const lines: string[] = [];
    const ctx = await capturingContext(lines);
    const alice = await seedUser(ctx, "alice");
    await seedRepo(ctx, alice, "alice/bert");
    const token = await seedToken(ctx, alice, { role: "write" });
    const app = await buildApp(ctx);

    const login = await app.inject({
      method: "POST",
      url: "/api/auth/login",
      payload: { username: "alice", password: TEST_PASSWORD },
    });
    const cookie = login.cookies.find((c) => c.name === "berth_session")?.value ?? "";
    expect(cookie).not.toBe("");
    const csrf = login.json().csrfToken as string;
    const basic = `Basic ${Buffer.from(`git:${token}`).toString("base64")}`;

    const responses = await Promise.all([
      app.inject({ url: "/api/whoami-v2", headers: { authorization: `Bearer ${token}` } }),
      app.inject({ url: "/api/whoami-v2", headers: { authorization: basic } }),
      app.inject({ url: `/api/whoami-v2?access_token=${token}&token=${token}` }),
      app.inject({ url: `/api/models/alice/bert?token=${token}`, headers: { authorization: `Bearer ${token}` } }),
      app.inject({ url: `/${token}/info/refs?service=git-upload-pack` }),
      app.inject({ url: "/api/whoami-v2", cookies: { berth_session: cookie } }),
      app.inject({ url: "/api/settings/tokens", cookies: { berth_session: cookie } }),
      app.inject({
        method: "POST",
        url: "/api/settings/tokens",
        cookies: { berth_session: cookie },
        headers: { "x-csrf-token": csrf },
        payload: { displayName: "new", role: "read" },
      }),
      app.inject({ url: "/api/whoami-v2", headers: { authorization: `Bearer ${token.slice(0, -1)}x` } }),
      app.inject({ method: "POST", url: "/api/auth/login", payload: { username: "alice", password: "hf_wrong" } }),
    ]);
    const minted = responses[7]?.json().token as string;
    expect(minted).toMatch(/^hf_[A-Za-z]{34}$/);
    await app.close();

    const log = lines.join("");
    // The logs were written (one line per request at least), so an empty log cannot pass this test.
    expect(lines.length).toBeGreaterThanOrEqual(responses.length);
    expect(log).toContain('"url":"/api/whoami-v2?access_token=hf_[redacted]');
    expect(log).not.toMatch(/hf_[A-Za-z]{34}/);
    expect(log).not.toContain(token.slice(3));
    expect(log).not.toContain(minted.slice(3));
    expect(log).not.toContain(cookie);
    expect(log).not.toContain(Buffer.from(`git:${token}`).toString("base64"));
    expect(log).not.toContain(TEST_PASSWORD);
    expect(log).not.toContain(csrf);
  });

  it("never contain a token percent-encoded in a path or a query, a URL's password or an LFS signature", async () => {
    const lines: string[] = [];
    const ctx = await capturingContext(lines);
    const alice = await seedUser(ctx, "alice");
    await seedRepo(ctx, alice, "alice/bert");
    const token = await seedToken(ctx, alice, { role: "write" });
    const app = await buildApp(ctx);
    const letters = token.slice(3);
    const hex = (c: string) => `%${c.charCodeAt(0).toString(16).padStart(2, "0")}`;
    const encoded = [
      `%68f_${letters}`,
      `h%66_${letters}`,
      `hf%5F${letters}`,
      `hf%5f${letters}`,
      `hf_${letters.slice(0, 10)}${hex(letters[10] ?? "")}${letters.slice(11)}`,
      [...token].map(hex).join(""),
      `%2568f_${letters}`,
      `%252568%252566%25255F${letters}`,
    ];
    const urls = encoded.flatMap((form) => [
      `/api/models/alice/bert/resolve/main/${form}`,
      `/alice/bert/resolve/main/${form}`,
      `/api/whoami-v2?token=${form}`,
      `/api/models/alice/bert?full=true&access_token=${form}&x=1`,
      `/${form}/info/refs?service=git-upload-pack`,
    ]);
    urls.push(
      "/api/whoami-v2?next=https%3A%2F%2Falice%3As3cr3t-pw%40hub.test%2F",
      "/api/whoami-v2?next=https://:s3cr3t-pw@hub.test/",
      "/alice/bert/resolve/main/sub/a%20b.txt",
      `/alice/bert.git/info/lfs/objects/${"a".repeat(64)}?size=1&exp=1&sig=lfs-capability-value`,
    );
    const responses = await Promise.all(urls.map((url) => app.inject({ url })));
    await app.close();

    const log = lines.join("");
    const requestLines = lines.filter((line) => line.includes('"msg":"request"'));
    expect(requestLines.length).toBe(responses.length);
    expect(log).not.toContain(letters);
    expect(log).not.toContain(letters.slice(0, 20));
    for (const form of encoded) expect(log).not.toContain(form);
    expect(log).not.toContain("s3cr3t-pw");
    expect(log).not.toContain("lfs-capability-value");
    // Only the credential goes: the rest of the line, and a path that merely holds an escape, stay readable.
    expect(log).toContain('"url":"/api/whoami-v2?token=[redacted]"');
    expect(log).toContain('"url":"/api/models/alice/bert?full=true&access_token=[redacted]&x=1"');
    expect(log).toContain('"url":"/alice/bert/resolve/main/sub/a%20b.txt"');
  });
});
