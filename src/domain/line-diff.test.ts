import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { diffHunks, editScript, splitLines } from "./line-diff.ts";

/** Length of the longest common subsequence, by dynamic programming: the oracle for minimality. */
function lcs(a: readonly string[], b: readonly string[]): number {
  const row = new Array<number>(b.length + 1).fill(0);
  for (const x of a) {
    let diagonal = 0;
    for (let j = 1; j <= b.length; j++) {
      const up = row[j] as number;
      row[j] = x === b[j - 1] ? diagonal + 1 : Math.max(up, row[j - 1] as number);
      diagonal = up;
    }
  }
  return row[b.length] as number;
}

function apply(a: readonly string[], b: readonly string[], ops: readonly string[]) {
  const fromA: string[] = [];
  const out: string[] = [];
  let i = 0;
  let j = 0;
  for (const op of ops) {
    if (op === "=") {
      fromA.push(a[i] as string);
      out.push(a[i++] as string);
      expect(b[j++]).toBe(a[i - 1]);
    } else if (op === "-") fromA.push(a[i++] as string);
    else out.push(b[j++] as string);
  }
  return { fromA, out };
}

describe("line diff", () => {
  it.each([
    ["", [], []],
    ["a", ["a"], []],
    ["a\n", ["a"], []],
    ["a\n\nb", ["a", "", "b"], []],
    ["a\nb\n\n", ["a", "b", ""], []],
  ])("splits %j into lines", (text, lines) => {
    expect(splitLines(text)).toEqual(lines);
  });

  it("finds a shortest edit script that rebuilds both sides", () => {
    const lines = fc.array(fc.constantFrom("a", "b", "c", "d", ""), { maxLength: 30 });
    fc.assert(
      fc.property(lines, lines, (a, b) => {
        const ops = editScript(a, b);
        if (!ops) throw new Error("no script");
        const { fromA, out } = apply(a, b, ops);
        expect(fromA).toEqual(a);
        expect(out).toEqual(b);
        const edits = ops.filter((op) => op !== "=").length;
        expect(edits).toBe(a.length + b.length - 2 * lcs(a, b));
      }),
      { numRuns: 300 },
    );
  });

  it("gives up past the edit budget instead of working on", () => {
    const a = Array.from({ length: 100 }, (_, i) => `a${i}`);
    const b = Array.from({ length: 100 }, (_, i) => `b${i}`);
    expect(editScript(a, b, 150)).toBeUndefined();
    expect(editScript(a, b, 200)?.length).toBe(200);
  });

  it.each([
    {
      name: "one change in the middle",
      a: "1\n2\n3\n4\n5\n6\n7\n8\n9\n",
      b: "1\n2\n3\n4\nfive\n6\n7\n8\n9\n",
      headers: ["-2,7 +2,7"],
    },
    { name: "a new file", a: "", b: "x\ny\n", headers: ["-0,0 +1,2"] },
    { name: "a deleted file", a: "x\ny\n", b: "", headers: ["-1,2 +0,0"] },
    {
      name: "two changes far apart",
      a: "1\n2\n3\n4\n5\n6\n7\n8\n9\n10\n11\n12\n13\n14\n15\n",
      b: "one\n2\n3\n4\n5\n6\n7\n8\n9\n10\n11\n12\n13\n14\nfifteen\n",
      headers: ["-1,4 +1,4", "-12,4 +12,4"],
    },
    {
      name: "two changes close together merge",
      a: "1\n2\n3\n4\n5\n6\n7\n8\n",
      b: "one\n2\n3\n4\n5\n6\n7\neight\n",
      headers: ["-1,8 +1,8"],
    },
    { name: "an insertion at the end", a: "1\n2\n3\n4\n5\n", b: "1\n2\n3\n4\n5\n6\n", headers: ["-3,3 +3,4"] },
  ])("numbers hunks as diff -u does: $name", ({ a, b, headers }) => {
    const hunks = diffHunks(splitLines(a), splitLines(b)) ?? [];
    expect(hunks.map((h) => `-${h.oldStart},${h.oldLines} +${h.newStart},${h.newLines}`)).toEqual(headers);
  });

  it("numbers an insertion-only hunk without context after the line it follows", () => {
    const hunks = diffHunks(["1", "2"], ["1", "new", "2"], { context: 0 }) ?? [];
    expect(hunks.map((h) => [h.oldStart, h.oldLines, h.newStart, h.newLines])).toEqual([[1, 0, 2, 1]]);
  });
});
