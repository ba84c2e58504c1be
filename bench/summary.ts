/**
 * The one table `npm run bench` ends with: request rows (issue 2 and the resolve HEAD of issue 3) as
 * req/s against the bare route of the same method, then LFS transfers against the disk and `git clone`
 * against a local clone. A ratio is always Berth's share of the baseline's speed (1 = as fast).
 */
import type { CloneFigures } from "./clone.ts";
import type { LfsFigures } from "./lfs.ts";
import type { LoadFigures } from "./load.ts";

export interface LoadRow {
  readonly figures: LoadFigures;
  readonly baseline: LoadFigures;
  readonly target?: string;
}

export interface SummaryRow {
  readonly measurement: string;
  readonly result: string;
  readonly "p50/p99 ms": string;
  readonly baseline: string;
  readonly ratio: number | string;
  readonly target: string;
}

export function summaryRows(
  load: readonly LoadRow[],
  lfs: LfsFigures | undefined,
  clone: CloneFigures | undefined,
): SummaryRow[] {
  const rows: SummaryRow[] = load.map(({ figures, baseline, target }) => ({
    measurement: figures.title + (figures.non2xx + figures.errors > 0 ? " (non-2xx!)" : ""),
    result: `${whole(figures.requestsPerSecond)} req/s`,
    "p50/p99 ms": `${figures.p50Ms} / ${figures.p99Ms}`,
    baseline: figures === baseline ? "—" : `${baseline.title}`,
    ratio: figures === baseline ? "" : round(figures.requestsPerSecond / baseline.requestsPerSecond),
    target: target ?? "",
  }));
  if (lfs) {
    const size = `${(lfs.sizeBytes / 2 ** 20).toFixed(0)} MiB`;
    rows.push(
      transfer(
        `LFS download ${size} (GET resolve, ${lfs.download.client})`,
        lfs.download.berth,
        "disk read",
        lfs.download.diskRead,
        "≥ 0.9",
      ),
      transfer("  same download by Node's http client", lfs.download.berthNode, "disk read", lfs.download.diskRead, ""),
      transfer(
        `LFS upload ${size} (batch + PUT, ${lfs.upload.client})`,
        lfs.upload.berth,
        "disk write",
        lfs.upload.diskWrite,
        "",
      ),
      transfer("  same upload", lfs.upload.berth, "disk write + SHA-256", lfs.upload.diskWritePlusSha256, "≥ 0.9"),
      transfer("  SHA-256 alone (reference)", lfs.upload.sha256Only, "disk write", lfs.upload.diskWrite, ""),
    );
  }
  if (clone) {
    rows.push(
      {
        measurement: `git clone (${clone.files.toLocaleString("en-US")} files) via Berth`,
        result: `${clone.berth.toFixed(2)} s`,
        "p50/p99 ms": "",
        baseline: `git clone --no-local ${clone.localNoLocal.toFixed(2)} s`,
        ratio: round(clone.ratio),
        target: "",
      },
      {
        measurement: "  same clone",
        result: `${clone.berth.toFixed(2)} s`,
        "p50/p99 ms": "",
        baseline: `plain local clone ${clone.localPlain.toFixed(2)} s`,
        ratio: round(clone.localPlain / clone.berth),
        target: "",
      },
    );
  }
  return rows;
}

function transfer(measurement: string, berth: number, what: string, baseline: number, target: string): SummaryRow {
  return {
    measurement,
    result: `${whole(berth)} MiB/s`,
    "p50/p99 ms": "",
    baseline: `${what} ${whole(baseline)} MiB/s`,
    ratio: round(berth / baseline),
    target,
  };
}

function whole(value: number): string {
  return Math.round(value).toLocaleString("en-US");
}

function round(value: number): number {
  return Number(value.toFixed(2));
}
