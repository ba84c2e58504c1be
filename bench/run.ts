/**
 * `npm run bench`: seeds a fresh data dir under .bench/, starts Berth and a bare Fastify server as child
 * processes, drives both with autocannon, prints requests/s, p50, p99 and the ratio to the bare route,
 * and writes the figures to .bench/results.json. Flags: --duration S, --connections N, --users N,
 * --tokens N, --repos N (e.g. `npm run bench -- --duration 3` for a quick run), and --token-pool N to
 * present only N distinct tokens (hot tokens: no last-used write, which a token gets once a minute).
 * Issue 3 adds: HEAD of a resolve URL against the bare route's HEAD, an LFS object through Berth against
 * the disk (--lfs-size, default 1GiB; --lfs-runs), and `git clone` against a local clone (--clone-files,
 * --clone-runs); all end up in one table. Issue 13 adds the render time of the repository pages on a repo
 * of 10,000 files and 10,000 commits (--page-files, --page-runs; `--only pages` runs just those).
 */
import { randomBytes } from "node:crypto";
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { parseArgs } from "node:util";
import { FileLfsStorage } from "../src/git/lfs-store.ts";
import { measureClone } from "./clone.ts";
import { seedContent } from "./content.ts";
import { type HostileFigures, measureHostile } from "./hostile.ts";
import { runInferenceBench } from "./inference.ts";
import { measureLfs, parseSize } from "./lfs.ts";
import { drive, type LoadFigures } from "./load.ts";
import { measureQueries } from "./query-count.ts";
import { measurePages, type PageFigures, seedLargeRepo } from "./repo-pages.ts";
import { seed } from "./seed.ts";
import { startBare, startBerth } from "./servers.ts";
import { type LoadRow, summaryRows } from "./summary.ts";

const { values: flags } = parseArgs({
  options: {
    duration: { type: "string", default: "10" },
    connections: { type: "string", default: "64" },
    users: { type: "string", default: "10000" },
    tokens: { type: "string", default: "100000" },
    repos: { type: "string", default: "10000" },
    "token-pool": { type: "string" },
    "lfs-size": { type: "string", default: "1GiB" },
    "lfs-runs": { type: "string", default: "3" },
    "clone-files": { type: "string", default: "2000" },
    "clone-runs": { type: "string", default: "3" },
    "page-files": { type: "string", default: "10000" },
    "page-runs": { type: "string", default: "20" },
    only: { type: "string" },
  },
});

function positive(name: string, text: string): number {
  const value = Number(text);
  if (!Number.isInteger(value) || value <= 0) throw new Error(`--${name} must be a positive integer, got "${text}"`);
  return value;
}

const durationSeconds = positive("duration", flags.duration);
const connections = positive("connections", flags.connections);
const counts = {
  users: positive("users", flags.users),
  tokens: positive("tokens", flags.tokens),
  repos: positive("repos", flags.repos),
};

const benchDir = path.resolve(".bench");

/** Thrown to leave the measurements early with `--only requests`. */
class SkipRest extends Error {}
const dataDir = path.join(benchDir, "data");
const pageFiles = positive("page-files", flags["page-files"]);
const pageRuns = positive("page-runs", flags["page-runs"]);
if (flags.only !== undefined && !["inference", "pages", "requests"].includes(flags.only)) {
  throw new Error(`--only takes "inference", "pages" or "requests", got "${flags.only}"`);
}
if (flags.only === "inference") {
  await runInferenceBench({ durationSeconds, connections, benchDir });
  process.exit(0);
}
if (flags.only === "pages") {
  rmSync(dataDir, { recursive: true, force: true });
  mkdirSync(dataDir, { recursive: true });
  const pageSecret = randomBytes(32).toString("hex");
  const repo = await seedLargeRepo(dataDir, pageSecret, pageFiles);
  const server = await startBerth(dataDir, pageSecret);
  try {
    printPages(await measurePages(server.url, repo, pageRuns));
  } finally {
    await server.stop();
  }
  process.exit(0);
}
/** `--only requests`: the request rows alone (no LFS, clone, pages, hostile or inference parts), for profiling. */
const requestsOnly = flags.only === "requests";
rmSync(dataDir, { recursive: true, force: true });
mkdirSync(dataDir, { recursive: true });
const secret = randomBytes(32).toString("hex");

console.log(`Seeding ${counts.users} users, ${counts.tokens} tokens, ${counts.repos} repos into ${dataDir}`);
const seeded = await seed(dataDir, secret, counts);
console.log(`Seeded in ${seeded.seconds.toFixed(1)} s\n`);
if (seeded.tokens.length === 0) throw new Error("no token has a repo of its owner: seed more repos");
const lfsBytes = parseSize(flags["lfs-size"]);
const content = await seedContent(dataDir, secret, {
  cloneFiles: positive("clone-files", flags["clone-files"]),
  lfsRuns: positive("lfs-runs", flags["lfs-runs"]),
});

console.log(`Seeding a repo of ${pageFiles} files and ${pageFiles} commits for the page render times…`);
const pagesRepo = await seedLargeRepo(dataDir, secret, pageFiles);

const pool =
  flags["token-pool"] === undefined
    ? seeded.tokens
    : seeded.tokens.slice(0, positive("token-pool", flags["token-pool"]));
const pick = () => pool[Math.floor(Math.random() * pool.length)] as (typeof pool)[number];

const sample = pick();
const costs = await measureQueries(dataDir, secret, [
  { url: "/api/whoami-v2", token: sample.value },
  { url: `/api/models/${sample.repo}`, token: sample.value },
]);

const bare = await startBare();
const berth = await startBerth(dataDir, secret);
const results: LoadFigures[] = [];
const headRows: LoadRow[] = [];
let lfs: Awaited<ReturnType<typeof measureLfs>> | undefined;
let clone: Awaited<ReturnType<typeof measureClone>> | undefined;
let hostile: HostileFigures | undefined;
let pages: PageFigures[] = [];
try {
  console.log(
    `Driving each route for ${durationSeconds} s with ${connections} connections, ${pool.length} distinct tokens…`,
  );
  // The baseline goes through the same per-request setup (a rotating Authorization header the bare
  // server ignores), so that the client's own cost is the same on every row.
  results.push(
    await drive({
      title: "bare Fastify route",
      url: bare.url,
      connections,
      durationSeconds,
      next: () => ({ path: "/bare", headers: { authorization: `Bearer ${pick().value}` } }),
    }),
  );
  results.push(
    await drive({
      title: "GET /api/whoami-v2",
      url: berth.url,
      connections,
      durationSeconds,
      next: () => ({ path: "/api/whoami-v2", headers: { authorization: `Bearer ${pick().value}` } }),
    }),
  );
  results.push(
    await drive({
      title: "GET /api/models/{ns}/{name}",
      url: berth.url,
      connections,
      durationSeconds,
      next: () => {
        const token = pick();
        return { path: `/api/models/${token.repo}`, headers: { authorization: `Bearer ${token.value}` } };
      },
    }),
  );
  headRows.push(...(await driveResolveHeads(bare.url, berth.url)));
  if (requestsOnly) throw new SkipRest();
  console.log(`LFS: ${flags["lfs-size"]} through Berth and the disk, ${content.lfsRepos.length} runs…`);
  const store = new FileLfsStorage(dataDir);
  lfs = await measureLfs({
    berthUrl: berth.url,
    token: content.token,
    repos: content.lfsRepos,
    sizeBytes: lfsBytes,
    scratchDir: benchDir,
    objectPath: (oid) => store.pathOf(oid),
  });
  console.log(`git clone of ${content.cloneFiles} files through Berth and locally…`);
  clone = await measureClone({
    berthUrl: berth.url,
    token: content.token,
    repo: content.cloneRepo,
    bareDir: content.cloneRepoDir,
    scratchDir: benchDir,
    runs: positive("clone-runs", flags["clone-runs"]),
    files: content.cloneFiles,
  });
  console.log(`Repository pages on ${pagesRepo} (${pageFiles} files and commits), ${pageRuns} runs each…`);
  pages = await measurePages(berth.url, pagesRepo, pageRuns);
  console.log("Hostile requests (issue 8): huge anonymous bodies, slow anonymous fetches…");
  if (berth.pid !== undefined) {
    hostile = await measureHostile({ berthUrl: berth.url, pid: berth.pid, repo: content.publicConfigRepo });
  }
} catch (error) {
  if (!(error instanceof SkipRest)) throw error;
} finally {
  await berth.stop();
  await bare.stop();
}

const baseline = results[0]?.requestsPerSecond ?? 1;
const bareGet = results[0] as LoadFigures;
console.log();
console.table(summaryRows([...results.map((figures) => ({ figures, baseline: bareGet })), ...headRows], lfs, clone));

printPages(pages);

console.log("\nSQL statements per request (steady state: the token was used in the last minute):");
for (const cost of costs) {
  console.log(`  ${cost.url.replace(sample.repo, "{ns}/{name}")} → ${cost.status}: ${cost.queries.length} statements`);
  for (const query of cost.queries) {
    console.log(`    ${query.sql}`);
    for (const step of query.plan) console.log(`      plan: ${step}`);
  }
  const extra = cost.firstRequestQueries - cost.queries.length;
  if (extra > 0) console.log(`    (+${extra} deferred last-used update on a token's first use in a minute)`);
}
console.log(
  "\nThe token check is the statement on token.hash: one lookup through the unique index on the keyed hash,\n" +
    "joined to its user by primary key. Nothing is cached, so a revoked token fails on its next request.",
);

if (hostile) {
  const huge = hostile.hugeBodies;
  console.log(
    `\nHostile requests: 3 anonymous commits announcing ${huge.announcedMiB} MiB each → ${huge.statuses.join(", ")} ` +
      `after ${huge.sentBeforeAnswerMiB.join(", ")} MiB sent; server RSS ${huge.rssBeforeMiB} → peak ${huge.rssPeakMiB} MiB; ` +
      `a normal request meanwhile took ${huge.normalRequestMs} ms.`,
  );
  const slow = hostile.slowFetches;
  console.log(
    `  ${slow.connections} slow anonymous git-upload-pack posts → ${slow.gitProcesses} git processes; ` +
      `a normal request meanwhile took ${slow.normalRequestMs} ms.`,
  );
}

const invalid = [...results, ...headRows.map((row) => row.figures)].filter(
  (result) => result.non2xx + result.errors > 0,
);
if (invalid.length > 0) console.log(`\nWARNING: non-2xx answers in ${invalid.map((r) => r.title).join(", ")}`);

const report = {
  date: new Date().toISOString(),
  node: process.version,
  cpus: (await import("node:os")).cpus().length,
  durationSeconds,
  connections,
  counts,
  distinctTokensPresented: pool.length,
  seedSeconds: seeded.seconds,
  results: results.map((result) => ({ ...result, ratioToBare: result.requestsPerSecond / baseline })),
  resolveHead: headRows.map((row) => ({
    ...row.figures,
    baseline: row.baseline.title,
    ratioToBare: row.figures.requestsPerSecond / row.baseline.requestsPerSecond,
  })),
  lfs,
  clone,
  hostile,
  repoPages: { files: pageFiles, commits: pageFiles, runs: pageRuns, pages },
  sqlPerRequest: costs.map((cost) => ({
    url: cost.url.replace(sample.repo, "{ns}/{name}"),
    status: cost.status,
    statements: cost.queries.length,
    queries: cost.queries,
    firstRequestStatements: cost.firstRequestQueries,
  })),
};
writeFileSync(path.join(benchDir, "results.json"), `${JSON.stringify(report, null, 2)}\n`);
console.log(`\nResults written to ${path.join(benchDir, "results.json")}`);

/**
 * Issue 3: HEAD of a resolve URL (what from_pretrained sends per file) against HEAD of the bare route.
 * The public repo is HEADed with the whole token pool, each request a real token check; the private one
 * with its owner's token.
 */
async function driveResolveHeads(bareUrl: string, berthUrl: string): Promise<LoadRow[]> {
  const rotating = () => ({ authorization: `Bearer ${pick().value}` });
  const common = { connections, durationSeconds, method: "HEAD" as const };
  const bareHead = await drive({
    ...common,
    title: "bare Fastify route (HEAD)",
    url: bareUrl,
    next: () => ({ path: "/bare", headers: rotating() }),
  });
  const pooled = await drive({
    ...common,
    title: "HEAD resolve/main/config.json, public repo, token pool",
    url: berthUrl,
    next: () => ({ path: `/${content.publicConfigRepo}/resolve/main/config.json`, headers: rotating() }),
  });
  const owner = { authorization: `Bearer ${content.token}` };
  const own = await drive({
    ...common,
    title: "HEAD resolve/main/config.json, private repo, owner token",
    url: berthUrl,
    next: () => ({ path: `/${content.privateConfigRepo}/resolve/main/config.json`, headers: owner }),
  });
  // What from_pretrained does for every small file once it has its HEAD: GET the bytes (issue 14).
  const bareGet = results[0] as LoadFigures;
  const smallGet = await drive({
    connections,
    durationSeconds,
    title: "GET resolve/main/config.json, public repo, token pool",
    url: berthUrl,
    next: () => ({ path: `/${content.publicConfigRepo}/resolve/main/config.json`, headers: rotating() }),
  });
  return [
    { figures: bareHead, baseline: bareHead },
    { figures: pooled, baseline: bareHead, target: "≥ 0.8" },
    { figures: own, baseline: bareHead, target: "≥ 0.8" },
    { figures: smallGet, baseline: bareGet, target: "≥ 0.8" },
  ];
}

if (!requestsOnly) {
  console.log("\nInference (issue 5):");
  await runInferenceBench({ durationSeconds, connections, benchDir });
}

/** Issue 13's table: each page's first (cold) render and the median of the runs after it. */
function printPages(figures: readonly PageFigures[]): void {
  if (figures.length === 0) return;
  console.log("\nRepository pages (target: under 100 ms):");
  console.table(
    figures.map((f) => ({
      page: f.page,
      status: f.status,
      "size kB": Math.round(f.bytes / 1024),
      "first ms": f.coldMs,
      "median ms": f.medianMs,
      "max ms": f.maxMs,
    })),
  );
}
