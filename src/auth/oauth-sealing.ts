/**
 * Seals what the OAuth side must keep but must not reveal to a database dump: signing keys, the ids of
 * records found by a secondary key. AES-256-GCM under a key derived (HKDF-SHA-256) from the server
 * secret and a purpose, so a value sealed for one purpose never opens as another. A value sealed under
 * another BERTH_SECRET does not open: the signing keys are then made anew.
 */
import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from "node:crypto";

const VERSION = "v1";

function keyFor(tokenKey: Buffer, purpose: string): Buffer {
  return Buffer.from(hkdfSync("sha256", tokenKey, Buffer.alloc(0), `berth oauth ${purpose}`, 32));
}

export function seal(tokenKey: Buffer, purpose: string, clear: string): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv("aes-256-gcm", keyFor(tokenKey, purpose), iv);
  const body = Buffer.concat([cipher.update(clear, "utf8"), cipher.final()]);
  return [
    VERSION,
    iv.toString("base64url"),
    cipher.getAuthTag().toString("base64url"),
    body.toString("base64url"),
  ].join(".");
}

/** The clear value, or undefined when it was sealed under another key or purpose, or is damaged. */
export function openSealed(tokenKey: Buffer, purpose: string, sealed: string): string | undefined {
  const [version, iv, tag, body] = sealed.split(".");
  if (version !== VERSION || !iv || !tag || body === undefined) return undefined;
  try {
    const decipher = createDecipheriv("aes-256-gcm", keyFor(tokenKey, purpose), Buffer.from(iv, "base64url"));
    decipher.setAuthTag(Buffer.from(tag, "base64url"));
    return Buffer.concat([decipher.update(Buffer.from(body, "base64url")), decipher.final()]).toString("utf8");
  } catch {
    return undefined;
  }
}
