/**
 * A "Sign in with Berth" web app for the browser tests: one page on its own origin that uses
 * @huggingface/hub's own browser build (`oauthLoginUrl`, `oauthHandleRedirectIfPresent`), as a Space
 * or any static site would. The library's Xet module is not needed for OAuth and is stubbed.
 */
import { readdirSync, readFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import { createRequire } from "node:module";
import type { AddressInfo } from "node:net";
import path from "node:path";

// The package exports only its entry points: its browser build sits beside the Node one.
const HUB_BROWSER = path.join(path.dirname(createRequire(import.meta.url).resolve("@huggingface/hub")), "browser");
const XET_STUB = [
  "createChunker",
  "nextBlock",
  "finalize",
  "hashToHex",
  "hexToBytes",
  "xorbHash",
  "fileHash",
  "hmac",
  "verificationHash",
  "MerkleHashSubtree",
]
  .map((name) => `export function ${name}() { throw new Error("not in this test"); }`)
  .join("\n");

export interface DemoApp {
  readonly url: string;
  close(): Promise<void>;
}

export async function startDemoApp(options: {
  hubUrl: string;
  clientId: () => string;
  scopes: string;
}): Promise<DemoApp> {
  const files = new Set(readdirSync(HUB_BROWSER).filter((name) => name.endsWith(".mjs")));
  const server: Server = createServer((req, res) => {
    const name = (req.url ?? "/").split("?")[0]?.slice(1) ?? "";
    if (name === "") {
      res.setHeader("content-type", "text/html; charset=utf-8");
      res.end(`<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Demo app</title></head>
<body><main><h1>Demo app</h1><button id="login" type="button">Sign in with Berth</button><pre id="out"></pre></main>
<script type="module" src="/app.mjs"></script></body></html>`);
      return;
    }
    res.setHeader("content-type", "text/javascript; charset=utf-8");
    if (name === "app.mjs") {
      res.end(`import { oauthLoginUrl, oauthHandleRedirectIfPresent } from "/index.mjs";
const hubUrl = ${JSON.stringify(options.hubUrl)};
try {
  const result = await oauthHandleRedirectIfPresent({ hubUrl });
  if (result) document.querySelector("#out").textContent = JSON.stringify(result);
} catch (error) {
  document.querySelector("#out").textContent = "error: " + error.message;
}
document.querySelector("#login").addEventListener("click", async () => {
  location.href = await oauthLoginUrl({ hubUrl, clientId: ${JSON.stringify(options.clientId())}, scopes: ${JSON.stringify(options.scopes)}, redirectUrl: location.origin + "/" });
});`);
      return;
    }
    if (name === "xet-stub.mjs") return void res.end(XET_STUB);
    if (!files.has(name)) {
      res.statusCode = 404;
      return void res.end();
    }
    const text = readFileSync(path.join(HUB_BROWSER, name), "utf8").replaceAll(
      '"@huggingface/xetchunk-wasm"',
      '"/xet-stub.mjs"',
    );
    res.end(text);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
