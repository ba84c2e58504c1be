import { describe, expect, it } from "vitest";
import { ModelLru } from "./model-lru.ts";

describe("ModelLru", () => {
  it("keeps the most recently used models within the byte budget and disposes the rest", async () => {
    const disposed: string[] = [];
    let loads = 0;
    const lru = new ModelLru<string>(100, async (value) => {
      disposed.push(value);
    });
    const load = (name: string) => () => {
      loads++;
      return Promise.resolve(name);
    };
    expect(await lru.get("a", 40, load("A"))).toBe("A");
    expect(await lru.get("b", 40, load("B"))).toBe("B");
    expect(await lru.get("a", 40, load("A again"))).toBe("A"); // a hit: no load, and now most recent
    expect(loads).toBe(2);
    await lru.get("c", 40, load("C")); // 120 > 100: the least recently used (b) goes
    await Promise.resolve();
    expect(lru.keys()).toEqual(["a", "c"]);
    expect(lru.bytes).toBe(80);
    expect(disposed).toEqual(["B"]);
    // A model larger than the whole budget still runs, alone.
    await lru.get("huge", 500, load("H"));
    await Promise.resolve();
    expect(lru.keys()).toEqual(["huge"]);
    expect(disposed.sort()).toEqual(["A", "B", "C"]);
  });

  it("forgets a failed load so the next call tries again", async () => {
    const lru = new ModelLru<string>(100, async () => undefined);
    await expect(lru.get("a", 10, () => Promise.reject(new Error("broken")))).rejects.toThrow("broken");
    expect(lru.keys()).toEqual([]);
    expect(lru.bytes).toBe(0);
    expect(await lru.get("a", 10, () => Promise.resolve("fixed"))).toBe("fixed");
  });
});
