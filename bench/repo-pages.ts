/**
 * Issue 13: how long the repository pages take to render on a repo of 10,000 files and 10,000 commits
 * (target: under 100 ms). The repo is made through createRepo and `git fast-import` (one file added per
 * commit, all in one directory, the worst case for a tree page), then each page is fetched from a Berth
 * process over HTTP: once cold (nothing cached yet) and then `runs` times; the median is the figure.
 */
import pino from "pino";
import { loadConfig } from "../src/config.ts";
import { createContext } from "../src/context.ts";
import { gitOrThrow } from "../src/git/git-command.ts";
import { createRepo } from "../src/git/repo-lifecycle.ts";
import { createUser } from "../src/store/users.ts";
import { median } from "./median.ts";

export interface PageFigures {
  readonly page: string;
  readonly path: string;
  readonly status: number;
  readonly bytes: number;
  readonly coldMs: number;
  readonly medianMs: number;
  readonly maxMs: number;
}

const CARD = `---
license: apache-2.0
library_name: transformers
pipeline_tag: text-classification
datasets: [bench/reviews]
tags: [bench, large]
---
# A large repository

${Array.from({ length: 40 }, (_, i) => `## Section ${i}\n\nSome **text** with a [link](data/file-${i}.txt) and \`code\`.\n\n\`\`\`python\nfrom transformers import pipeline\nprint(pipeline("text-classification")("section ${i}"))\n\`\`\`\n`).join("\n")}
| column | value |
|---|---|
${Array.from({ length: 50 }, (_, i) => `| row ${i} | ${i * i} |`).join("\n")}
`;

/** Creates `owner/big-repo` with a model card and `files` files added by as many commits; its path. */
export async function seedLargeRepo(dataDir: string, secret: string, files: number): Promise<string> {
  const config = loadConfig({ dataDir, databaseUrl: undefined, logLevel: "silent" }, {});
  const ctx = await createContext(config, {
    secrets: { tokenKey: Buffer.from(secret, "utf8") },
    logger: pino({ level: "silent" }),
  });
  try {
    const owner = await createUser(ctx.db, { name: "pages-owner", email: "pages@bench.test" }, ctx.now());
    const repo = await createRepo(ctx, owner, {
      type: "model",
      namespace: owner.name,
      name: "big-repo",
      private: false,
    });
    const dir = ctx.storage.pathOf(repo.type, repo.id);
    const parts: Buffer[] = [];
    const start = Math.floor(ctx.now().getTime() / 1000) - files;
    const add = (message: string, path: string, content: string, at: number, first: boolean) => {
      const who = `pages-owner <pages@bench.test> ${at} +0000`;
      const body = Buffer.from(content);
      parts.push(
        Buffer.from(
          `commit refs/heads/main\nauthor ${who}\ncommitter ${who}\ndata ${Buffer.byteLength(message)}\n${message}\n`,
        ),
        Buffer.from(first ? "from refs/heads/main^0\n" : ""),
        Buffer.from(`M 100644 inline ${path}\ndata ${body.length}\n`),
        body,
        Buffer.from("\n\n"),
      );
    };
    add("Add the model card", "README.md", CARD, start, true);
    for (let i = 1; i < files; i++) {
      add(`Add file ${i}`, `data/file-${String(i).padStart(5, "0")}.txt`, `line ${i}\n`, start + i, false);
    }
    await gitOrThrow(["fast-import", "--quiet", "--date-format=raw"], { cwd: dir, input: parts });
    return `${owner.name}/big-repo`;
  } finally {
    await ctx.close();
  }
}

export async function measurePages(berthUrl: string, repo: string, runs: number): Promise<PageFigures[]> {
  const headCommit = async () => {
    const response = await fetch(`${berthUrl}/api/models/${repo}/commits/main?limit=1`);
    const [head] = (await response.json()) as { id: string }[];
    if (!head) throw new Error("no head commit");
    return head.id;
  };
  const pages: [string, string][] = [
    ["model card", `/${repo}`],
    ["files, root", `/${repo}/tree/main`],
    ["files, 10,000-entry directory (page 1)", `/${repo}/tree/main/data`],
    ["file view (README.md)", `/${repo}/blob/main/README.md`],
    ["history, page 1", `/${repo}/commits/main`],
    ["history, page 100", `/${repo}/commits/main?p=100`],
    ["one commit with its diff", `/${repo}/commit/${await headCommit()}`],
  ];
  const figures: PageFigures[] = [];
  for (const [page, path] of pages) {
    const times: number[] = [];
    let status = 0;
    let bytes = 0;
    for (let run = 0; run <= runs; run++) {
      const started = performance.now();
      const response = await fetch(`${berthUrl}${path}`);
      const body = await response.arrayBuffer();
      times.push(performance.now() - started);
      status = response.status;
      bytes = body.byteLength;
    }
    const [cold, ...warm] = times as [number, ...number[]];
    figures.push({
      page,
      path,
      status,
      bytes,
      coldMs: round(cold),
      medianMs: round(median(warm)),
      maxMs: round(Math.max(...warm)),
    });
  }
  return figures;
}

const round = (ms: number) => Math.round(ms * 10) / 10;
