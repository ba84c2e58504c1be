import { describe, expect, it } from "vitest";
import { parseByteRange } from "./byte-range.ts";

describe("parseByteRange", () => {
  it.each([
    [undefined, 10, { type: "none" }],
    ["bytes=0-0", 10, { type: "range", start: 0, end: 0 }],
    ["bytes=2-5", 10, { type: "range", start: 2, end: 5 }],
    ["bytes=3-", 10, { type: "range", start: 3, end: 9 }],
    ["bytes=-4", 10, { type: "range", start: 6, end: 9 }],
    ["bytes=-40", 10, { type: "range", start: 0, end: 9 }],
    ["bytes=5-100", 10, { type: "range", start: 5, end: 9 }],
    ["bytes=10-", 10, { type: "unsatisfiable" }],
    ["bytes=-0", 10, { type: "unsatisfiable" }],
    ["bytes=0-0", 0, { type: "unsatisfiable" }],
    ["bytes=5-2", 10, { type: "none" }],
    ["bytes=0-1,4-5", 10, { type: "none" }],
    ["items=0-1", 10, { type: "none" }],
    ["bytes=-", 10, { type: "none" }],
  ])("reads %j on %d bytes", (header, size, expected) => {
    expect(parseByteRange(header, size)).toEqual(expected);
  });
});
