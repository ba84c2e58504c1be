/** Everything a stream yields, as one Buffer. */
export async function readAll(stream: AsyncIterable<Uint8Array | string>): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const part of stream) parts.push(typeof part === "string" ? Buffer.from(part) : Buffer.from(part));
  return Buffer.concat(parts);
}
