/**
 * xet-core itself, compiled to wasm (the reference @huggingface/hub vendors for its conformance tests,
 * xet-core commit 861056a): the chunker and every hash, as Rust computes them. Tests only. Loaded by a
 * computed path so the type checker does not compile the vendored sources with this project's settings.
 */

export interface OracleChunk {
  readonly hash: string;
  readonly length: number;
}

interface RustChunker {
  add_data(data: Uint8Array): OracleChunk[];
  finish(): OracleChunk[];
  free(): void;
}

interface Oracle {
  default(options: { module_or_path: Uint8Array }): Promise<unknown>;
  Chunker: new (target: number) => RustChunker;
  compute_xorb_hash(chunks: OracleChunk[]): string;
  compute_file_hash(chunks: OracleChunk[]): string;
  compute_verification_hash(hashes: string[]): string;
  compute_hmac(hash: string, key: string): string;
}

const vendor = "../../node_modules/@huggingface/hub/src/vendor/xet-chunk";
const rust = (await import(`${vendor}/chunker_wasm_bg.js`)) as Oracle;
const { wasmBinary } = (await import(`${vendor}/chunker_wasm_bg.wasm.base64.ts`)) as { wasmBinary: Uint8Array };
await rust.default({ module_or_path: wasmBinary });

/** xet-core's chunks of `data`, fed in pieces of `piece` bytes. */
export function oracleChunks(data: Uint8Array, piece = data.length): OracleChunk[] {
  const chunker = new rust.Chunker(64 * 1024);
  const out: OracleChunk[] = [];
  for (let at = 0; at < data.length; at += piece) out.push(...chunker.add_data(data.subarray(at, at + piece)));
  out.push(...chunker.finish());
  chunker.free();
  return out.map(({ hash, length }) => ({ hash, length }));
}

export function oracleXorbHash(chunks: readonly OracleChunk[]): string {
  return rust.compute_xorb_hash(chunks.map(({ hash, length }) => ({ hash, length })));
}

export function oracleFileHash(chunks: readonly OracleChunk[]): string {
  return rust.compute_file_hash(chunks.map(({ hash, length }) => ({ hash, length })));
}

export function oracleVerificationHash(chunkHashes: readonly string[]): string {
  return rust.compute_verification_hash([...chunkHashes]);
}

export function oracleHmac(hash: string, key: string): string {
  return rust.compute_hmac(hash, key);
}
