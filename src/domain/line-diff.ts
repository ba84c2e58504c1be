/**
 * A line diff for the commit page: Myers' O(ND) shortest edit script over lines, after the common
 * head and tail are set aside, grouped into unified-diff hunks with a few lines of context. Pure.
 *
 * Bounded on purpose: a page must never spend seconds on one file. Past `maxEdits` differing lines
 * the answer is `undefined` and the page says the diff is too large, as the Hub's does.
 */

export type DiffLine =
  | { readonly type: "context"; readonly text: string; readonly oldLine: number; readonly newLine: number }
  | { readonly type: "delete"; readonly text: string; readonly oldLine: number }
  | { readonly type: "insert"; readonly text: string; readonly newLine: number };

export interface Hunk {
  /** 1-based first line of the hunk in the old and the new text (0 when that side is empty). */
  readonly oldStart: number;
  readonly oldLines: number;
  readonly newStart: number;
  readonly newLines: number;
  readonly lines: readonly DiffLine[];
}

type Op = "=" | "-" | "+";

/** Splits text into lines; a final newline ends the last line rather than starting an empty one. */
export function splitLines(text: string): string[] {
  if (text === "") return [];
  const lines = text.split("\n");
  if (lines[lines.length - 1] === "") lines.pop();
  return lines;
}

/**
 * The edit script from `a` to `b` as one op per line (`=` kept, `-` deleted from a, `+` inserted from
 * b), deletions before insertions within a change; undefined when more than `maxEdits` lines differ.
 */
export function editScript(a: readonly string[], b: readonly string[], maxEdits = 4000): Op[] | undefined {
  let head = 0;
  while (head < a.length && head < b.length && a[head] === b[head]) head++;
  let tail = 0;
  while (tail < a.length - head && tail < b.length - head && a[a.length - 1 - tail] === b[b.length - 1 - tail]) tail++;
  const middle = myers(a.slice(head, a.length - tail), b.slice(head, b.length - tail), maxEdits);
  if (!middle) return undefined;
  return [...Array<Op>(head).fill("="), ...middle, ...Array<Op>(tail).fill("=")];
}

/** Myers' greedy algorithm, keeping each round's furthest points to walk the path back. */
function myers(a: readonly string[], b: readonly string[], maxEdits: number): Op[] | undefined {
  const n = a.length;
  const m = b.length;
  if (n === 0) return Array<Op>(m).fill("+");
  if (m === 0) return Array<Op>(n).fill("-");
  const limit = Math.min(n + m, maxEdits);
  const offset = limit + 1;
  const v = new Int32Array(2 * limit + 3);
  const trace: Int32Array[] = [];
  for (let d = 0; d <= limit; d++) {
    for (let k = -d; k <= d; k += 2) {
      const down = k === -d || (k !== d && (v[offset + k - 1] as number) < (v[offset + k + 1] as number));
      let x = down ? (v[offset + k + 1] as number) : (v[offset + k - 1] as number) + 1;
      let y = x - k;
      while (x < n && y < m && a[x] === b[y]) {
        x++;
        y++;
      }
      v[offset + k] = x;
      if (x >= n && y >= m) {
        trace.push(v.slice(offset - d - 1, offset + d + 2));
        return backtrack(trace, n, m);
      }
    }
    // Only the diagonals -d-1…d+1 can be read in the next round: keep just those.
    trace.push(v.slice(offset - d - 1, offset + d + 2));
  }
  return undefined;
}

function backtrack(trace: readonly Int32Array[], n: number, m: number): Op[] {
  const ops: Op[] = [];
  let x = n;
  let y = m;
  for (let d = trace.length - 1; d > 0; d--) {
    const previous = trace[d - 1] as Int32Array;
    // previous holds diagonals -(d-1)-1 … (d-1)+1, so diagonal k sits at index k + d.
    const at = (k: number) => previous[k + d] as number;
    const k = x - y;
    const down = k === -d || (k !== d && at(k - 1) < at(k + 1));
    const prevK = down ? k + 1 : k - 1;
    const prevX = at(prevK);
    const prevY = prevX - prevK;
    while (x > prevX && y > prevY) {
      ops.push("=");
      x--;
      y--;
    }
    ops.push(down ? "+" : "-");
    x = prevX;
    y = prevY;
  }
  while (x > 0 && y > 0) {
    ops.push("=");
    x--;
    y--;
  }
  ops.reverse();
  return reorder(ops);
}

/** Within each run of changes, deletions first: the unified format reads that way. */
function reorder(ops: readonly Op[]): Op[] {
  const out: Op[] = [];
  let deletes = 0;
  let inserts = 0;
  const flush = () => {
    for (; deletes > 0; deletes--) out.push("-");
    for (; inserts > 0; inserts--) out.push("+");
  };
  for (const op of ops) {
    if (op === "-") deletes++;
    else if (op === "+") inserts++;
    else {
      flush();
      out.push("=");
    }
  }
  flush();
  return out;
}

/** Unified-diff hunks of `a` → `b` with `context` lines around each change; undefined when too large. */
export function diffHunks(
  a: readonly string[],
  b: readonly string[],
  options: { context?: number; maxEdits?: number } = {},
): Hunk[] | undefined {
  const context = options.context ?? 3;
  const ops = editScript(a, b, options.maxEdits);
  if (!ops) return undefined;
  const lines: DiffLine[] = [];
  /** Old and new lines before each line: where a hunk with an empty side starts. */
  const before: [number, number][] = [];
  let oldLine = 0;
  let newLine = 0;
  for (const op of ops) {
    before.push([oldLine, newLine]);
    if (op === "=") {
      lines.push({ type: "context", text: a[oldLine] as string, oldLine: ++oldLine, newLine: ++newLine });
    } else if (op === "-") {
      lines.push({ type: "delete", text: a[oldLine] as string, oldLine: ++oldLine });
    } else {
      lines.push({ type: "insert", text: b[newLine] as string, newLine: ++newLine });
    }
  }
  const hunks: Hunk[] = [];
  let i = 0;
  while (i < lines.length) {
    while (i < lines.length && lines[i]?.type === "context") i++;
    if (i >= lines.length) break;
    const start = Math.max(0, i - context);
    let end = i;
    // Extend while the next change is within 2×context lines of unchanged text.
    for (;;) {
      while (end < lines.length && lines[end]?.type !== "context") end++;
      let gap = end;
      while (gap < lines.length && lines[gap]?.type === "context") gap++;
      if (gap < lines.length && gap - end <= 2 * context) end = gap;
      else break;
    }
    const stop = Math.min(lines.length, end + context);
    hunks.push(hunkOf(lines.slice(start, stop), before[start] as [number, number]));
    i = stop;
  }
  return hunks;
}

function hunkOf(lines: readonly DiffLine[], [oldBefore, newBefore]: [number, number]): Hunk {
  let oldLines = 0;
  let newLines = 0;
  for (const line of lines) {
    if (line.type !== "insert") oldLines++;
    if (line.type !== "delete") newLines++;
  }
  // As in `diff -u`, a side with no lines names the line before the change; one with lines, its first.
  return {
    oldStart: oldLines === 0 ? oldBefore : oldBefore + 1,
    oldLines,
    newStart: newLines === 0 ? newBefore : newBefore + 1,
    newLines,
    lines,
  };
}
