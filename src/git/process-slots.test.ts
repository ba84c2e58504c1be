import { describe, expect, it } from "vitest";
import { HubError } from "../errors.ts";
import { ProcessSlots } from "./process-slots.ts";

describe("ProcessSlots", () => {
  it("grants up to max at once, queues the next ones in order and hands freed slots on", async () => {
    const slots = new ProcessSlots(2, 10, 10_000);
    const first = await slots.acquire();
    const second = await slots.acquire();
    const order: number[] = [];
    const third = slots.acquire().then((release) => {
      order.push(3);
      return release;
    });
    const fourth = slots.acquire().then((release) => {
      order.push(4);
      return release;
    });
    expect(slots.running).toBe(2);
    expect(slots.waiting).toBe(2);
    first();
    first(); // a second release of the same slot frees nothing more
    (await third)();
    second();
    (await fourth)();
    expect(order).toEqual([3, 4]);
    expect(slots.running).toBe(0);
  });

  it("refuses at once beyond the queue, and after the wait, with 503", async () => {
    const slots = new ProcessSlots(1, 1, 50);
    const held = await slots.acquire();
    const waited = slots.acquire();
    await expect(slots.acquire()).rejects.toMatchObject({ code: "Busy", status: 503 });
    const error = await waited.catch((e: unknown) => e);
    expect(error).toBeInstanceOf(HubError);
    expect((error as HubError).headers["Retry-After"]).toBe("5");
    expect(slots.waiting).toBe(0);
    held();
    expect(slots.running).toBe(0);
  });
});
