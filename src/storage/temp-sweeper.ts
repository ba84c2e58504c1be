/**
 * `<dataDir>/tmp` holds work in progress: LFS and Xet uploads being written (`lfs-*`, xet temp files),
 * repositories being built (`init-*.git`) and deleted ones being removed (`trash-*`). A process killed
 * mid-way leaves its piece there for ever. The sweeper removes what nobody has touched for `maxIdleMs`:
 * an upload in progress writes to its file continuously (a stalled one is cut by the idle timeout long
 * before), a repository is built in seconds, and trash is never in use. Age, not ownership, decides,
 * because several processes share the directory and none knows the others' files.
 */
import { lstat, readdir, rm } from "node:fs/promises";
import path from "node:path";

export interface SweepResult {
  readonly removed: readonly string[];
  readonly kept: number;
}

/** The newest modification time of a file, or of anything below a directory. */
async function newestChange(entry: string): Promise<number> {
  const stats = await lstat(entry);
  if (!stats.isDirectory()) return stats.mtimeMs;
  let newest = stats.mtimeMs;
  for (const child of await readdir(entry)) {
    newest = Math.max(newest, await newestChange(path.join(entry, child)).catch(() => 0));
  }
  return newest;
}

export async function sweepTemporaryFiles(dataDir: string, maxIdleMs: number, now = Date.now()): Promise<SweepResult> {
  const dir = path.join(dataDir, "tmp");
  let names: string[];
  try {
    names = await readdir(dir);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return { removed: [], kept: 0 };
    throw error;
  }
  const removed: string[] = [];
  let kept = 0;
  for (const name of names) {
    const entry = path.join(dir, name);
    const changed = await newestChange(entry).catch(() => undefined);
    if (changed === undefined) continue; // gone meanwhile
    if (now - changed < maxIdleMs) {
      kept++;
      continue;
    }
    await rm(entry, { recursive: true, force: true });
    removed.push(name);
  }
  return { removed, kept };
}

/** Interrupted work older than this is swept: far beyond any idle timeout of a live transfer. */
export const TEMP_MAX_IDLE_MS = 60 * 60_000;
const SWEEP_EVERY_MS = 10 * 60_000;

/** Sweeps at start and every ten minutes until stopped; failures are logged, never fatal. */
export function scheduleTempSweeps(
  dataDir: string,
  logger: { info(obj: object, msg: string): void; warn(obj: object, msg: string): void },
): () => void {
  const run = () =>
    sweepTemporaryFiles(dataDir, TEMP_MAX_IDLE_MS).then(
      (result) => {
        if (result.removed.length > 0) logger.info({ removed: result.removed }, "removed interrupted temporary files");
      },
      (error: unknown) => logger.warn({ err: error }, "could not sweep temporary files"),
    );
  void run();
  const timer = setInterval(run, SWEEP_EVERY_MS);
  timer.unref();
  return () => clearInterval(timer);
}
