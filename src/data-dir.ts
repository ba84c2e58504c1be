/**
 * The data directory holds the database, every repository and LFS object, and the token key, so only
 * Berth's user may read it. The directory itself is 0700: created so, and tightened at start when an
 * older Berth or an administrator left it looser (the caller logs that once, when it happens). What is
 * created inside gets no group or other bits from the process umask, which the entry points that own
 * their process (`berth serve`, the admin CLI, src/main.ts) set with usePrivateUmask; git and SQLite,
 * which create most of the files, inherit it. Library code never sets it, so tests keep their own.
 */
import { chmodSync, mkdirSync, statSync } from "node:fs";

/** No group or other bits on anything the process creates. */
export const PRIVATE_UMASK = 0o077;

export function usePrivateUmask(): void {
  process.umask(PRIVATE_UMASK);
}

/**
 * Creates `dir` (0700) or makes an existing one 0700. Returns the mode it had when that was looser,
 * undefined when nothing changed.
 */
export function makePrivateDir(dir: string): number | undefined {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const mode = statSync(dir).mode & 0o777;
  if ((mode & 0o077) === 0) return undefined;
  chmodSync(dir, 0o700);
  return mode;
}
