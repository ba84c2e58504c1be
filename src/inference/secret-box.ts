/**
 * Seals an upstream provider's API key before it reaches the database: AES-256-GCM under a key derived
 * from Berth's token key (HKDF), so a database dump alone does not reveal it. A key sealed under another
 * BERTH_SECRET fails to open and the administrator re-adds the upstream.
 */
import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from "node:crypto";

const PREFIX = "v1";

function keyFrom(tokenKey: Buffer): Buffer {
  return Buffer.from(hkdfSync("sha256", tokenKey, Buffer.alloc(0), "berth inference upstream api key", 32));
}

export function sealSecret(tokenKey: Buffer, clear: string): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv("aes-256-gcm", keyFrom(tokenKey), iv);
  const body = Buffer.concat([cipher.update(clear, "utf8"), cipher.final()]);
  return [PREFIX, iv.toString("base64"), cipher.getAuthTag().toString("base64"), body.toString("base64")].join(":");
}

/** The clear value, or undefined when it was sealed under another key or is damaged. */
export function openSecret(tokenKey: Buffer, sealed: string): string | undefined {
  const [prefix, iv, tag, body] = sealed.split(":");
  if (prefix !== PREFIX || !iv || !tag || body === undefined) return undefined;
  try {
    const decipher = createDecipheriv("aes-256-gcm", keyFrom(tokenKey), Buffer.from(iv, "base64"));
    decipher.setAuthTag(Buffer.from(tag, "base64"));
    return Buffer.concat([decipher.update(Buffer.from(body, "base64")), decipher.final()]).toString("utf8");
  } catch {
    return undefined;
  }
}
