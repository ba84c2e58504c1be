/** Deterministic test data for Xet tests: the same seed gives the same bytes on every run. */

/** Pseudo-random bytes (xorshift32): incompressible, so chunks are cut by content. */
export function randomBytesFrom(seed: number, length: number): Uint8Array {
  const out = new Uint8Array(length);
  const words = new Uint32Array(out.buffer, 0, Math.floor(length / 4));
  let state = seed >>> 0 || 1;
  for (let i = 0; i < words.length; i++) {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    words[i] = state >>> 0;
  }
  for (let i = words.length * 4; i < length; i++) out[i] = (i * 131 + seed) & 0xff;
  return out;
}

/** Text-like bytes that LZ4 compresses well, still varied enough to be cut by content. */
export function compressibleBytesFrom(seed: number, length: number): Uint8Array {
  const noise = randomBytesFrom(seed, length + 1);
  const words = ["tensor", "weight", "bias", "layer", "attention", "0.000", "-1.25", "\n", " ", "{", "}"];
  const out = new Uint8Array(length);
  let at = 0;
  let n = 0;
  while (at < length) {
    const word = words[(noise[n++ % noise.length] as number) % words.length] as string;
    for (let i = 0; i < word.length && at < length; i++) out[at++] = word.charCodeAt(i);
  }
  return out;
}
