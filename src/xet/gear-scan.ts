/**
 * The gear hash inner loop as a 100-byte WebAssembly function: JavaScript has no fast 64-bit integers, and
 * this loop runs once per byte of every uploaded or converted file. Per byte: `h = (h << 1) + GEAR[b]`
 * (wrapping u64); the scan stops after the first byte that leaves the top 16 bits of `h` zero, which is
 * xet-core's mask `0xFFFF000000000000` for a 64 KiB target.
 *
 * Memory (one 64 KiB page … see PAGES): the table at 0 (256 × u64 LE), the running hash at 2048 (kept
 * between calls so a scan can stop and resume), the input window from 4096.
 */
import { GEAR_TABLE } from "./gear-table.ts";

const TABLE_AT = 0;
const STATE_AT = 2048;
export const INPUT_AT = 4096;
const PAGES = 3;
export const INPUT_CAPACITY = PAGES * 65536 - INPUT_AT;

/** `scan(from, to)`: hashes bytes [from, to) of memory; the address after the matching byte, or -1. */
function moduleBytes(): Uint8Array<ArrayBuffer> {
  const body = [
    [0x01, 0x01, 0x7e], // one local: $h i64
    [0x41, 0x00, 0x29, 0x03, ...uleb(STATE_AT), 0x21, 0x02], // h = i64.load(STATE_AT)
    [0x02, 0x40, 0x03, 0x40], // block, loop
    [0x20, 0x00, 0x20, 0x01, 0x4f, 0x0d, 0x01], // if from >= to (unsigned): leave the block
    [0x20, 0x02, 0x42, 0x01, 0x86], // h << 1
    [0x20, 0x00, 0x2d, 0x00, 0x00, 0x41, 0x03, 0x74, 0x29, 0x03, ...uleb(TABLE_AT)], // table[mem[from]]
    [0x7c, 0x21, 0x02], // h = the sum
    [0x20, 0x00, 0x41, 0x01, 0x6a, 0x21, 0x00], // from += 1
    [0x20, 0x02, 0x42, ...sleb(2 ** 48), 0x5a, 0x0d, 0x00], // if h >= 2^48 (unsigned): next byte
    [0x41, 0x00, 0x20, 0x02, 0x37, 0x03, ...uleb(STATE_AT)], // i64.store(STATE_AT, h)
    [0x20, 0x00, 0x0f], // return from
    [0x0b, 0x0b], // end loop, end block
    [0x41, 0x00, 0x20, 0x02, 0x37, 0x03, ...uleb(STATE_AT)], // i64.store(STATE_AT, h)
    [0x41, 0x7f, 0x0b], // return -1, end function
  ].flat();
  const code = [0x01, ...uleb(body.length), ...body];
  const exports = [0x02, ...name("scan"), 0x00, 0x00, ...name("memory"), 0x02, 0x00];
  return new Uint8Array(
    [
      [0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00], // "\0asm", version 1
      section(1, [0x01, 0x60, 0x02, 0x7f, 0x7f, 0x01, 0x7f]), // type: (i32, i32) -> i32
      section(3, [0x01, 0x00]), // one function of that type
      section(5, [0x01, 0x00, PAGES]), // one memory, PAGES pages, no maximum
      section(7, exports),
      section(10, code),
    ].flat(),
  );
}

function section(id: number, content: number[]): number[] {
  return [id, ...uleb(content.length), ...content];
}

function name(text: string): number[] {
  return [text.length, ...Array.from(text, (c) => c.charCodeAt(0))];
}

function uleb(value: number): number[] {
  const out: number[] = [];
  let rest = value;
  do {
    const byte = rest % 128;
    rest = Math.floor(rest / 128);
    out.push(rest > 0 ? byte | 0x80 : byte);
  } while (rest > 0);
  return out;
}

function sleb(value: number): number[] {
  // Only non-negative values are needed; the last byte must keep its sign bit (0x40) clear.
  const out = uleb(value);
  if (((out[out.length - 1] as number) & 0x40) !== 0) {
    out[out.length - 1] = (out[out.length - 1] as number) | 0x80;
    out.push(0);
  }
  return out;
}

const instance = new WebAssembly.Instance(new WebAssembly.Module(moduleBytes()));
const scanExport = instance.exports.scan as (from: number, to: number) => number;
const memory = instance.exports.memory as WebAssembly.Memory;

export const gearMemory = new Uint8Array(memory.buffer);
const stateView = new DataView(memory.buffer, STATE_AT, 8);
{
  const table = new DataView(memory.buffer, TABLE_AT, 2048);
  for (const [i, value] of GEAR_TABLE.entries()) table.setBigUint64(i * 8, value, true);
}

/** A gear hash value kept outside the shared module between scans (two u32 halves, no BigInt). */
export interface GearState {
  lo: number;
  hi: number;
}

/**
 * Hashes `data` into `state` and returns the index in `data` just after the first byte where the hash
 * matches, or -1 when none does. `data` must fit INPUT_CAPACITY.
 */
export function gearScan(state: GearState, data: Uint8Array): number {
  gearMemory.set(data, INPUT_AT);
  stateView.setUint32(0, state.lo, true);
  stateView.setUint32(4, state.hi, true);
  const end = scanExport(INPUT_AT, INPUT_AT + data.length);
  state.lo = stateView.getUint32(0, true);
  state.hi = stateView.getUint32(4, true);
  return end === -1 ? -1 : end - INPUT_AT;
}
