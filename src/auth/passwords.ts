/**
 * Passwords: argon2id (memory 19 MiB, 2 passes, OWASP's baseline) through @node-rs/argon2, which
 * compares in constant time. A dummy hash is verified for unknown accounts so that a sign-in for a
 * name that does not exist takes as long as one that does.
 */
import { hash, verify } from "@node-rs/argon2";

const OPTIONS = { algorithm: 2, memoryCost: 19456, timeCost: 2, parallelism: 1 } as const;
export const MIN_PASSWORD_LENGTH = 8;
let dummyHash: Promise<string> | undefined;

export function hashPassword(password: string): Promise<string> {
  return hash(password, OPTIONS);
}

export async function verifyPassword(stored: string | null | undefined, password: string): Promise<boolean> {
  dummyHash ??= hashPassword("not a real password, only for timing");
  const target = stored ?? (await dummyHash);
  const ok = await verify(target, password).catch(() => false);
  return ok && stored !== null && stored !== undefined;
}
