/**
 * Access token values.
 *
 * Format: `hf_` + 28 random letters + 6 check letters, 37 characters in all, matching every secret
 * scanner's Hugging Face pattern `hf_[A-Za-z]{34}`. The random part carries 28·log2(52) ≈ 159.6 bits
 * from the CSPRNG (rejection sampling, so every letter is uniform). The check letters are CRC32 of
 * `hf_` + the random part, written in base 52 most significant letter first, so a scanner or the
 * server rejects a typo or a made-up value without touching the database.
 * Stored: never the value. The store keeps HMAC-SHA-256(server key, value) (see `hashSecret`) and a
 * display hint `hf_…` + last 4. Lookups are by that hash through a unique index, so the comparison
 * is the index's exact match on a keyed digest, which leaks nothing useful about the value.
 * Lifetime: until deleted or refreshed, or until `expiresAt` when one was chosen.
 */
import { createHmac, randomBytes } from "node:crypto";
import { crc32 } from "node:zlib";

export const TOKEN_PREFIX = "hf_";
const ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
const RANDOM_LETTERS = 28;
const CHECK_LETTERS = 6;
export const TOKEN_LENGTH = TOKEN_PREFIX.length + RANDOM_LETTERS + CHECK_LETTERS;
const SHAPE = /^hf_[A-Za-z]{34}$/;
/** Any token-shaped string (an access token, or an OAuth one), for redaction in logs. */
export const TOKEN_PATTERN = /hf_(?:oauth_)?[A-Za-z]{34}/g;
/**
 * OAuth access tokens (issue 12) look like the Hub's, `hf_oauth_` + 34 letters built like a token's
 * (28 random, 6 check letters over the whole prefix), so scanners and the server tell them apart and a
 * typo costs no database lookup. Stored and compared like tokens: HMAC, unique index.
 */
export const OAUTH_TOKEN_PREFIX = "hf_oauth_";
const OAUTH_SHAPE = /^hf_oauth_[A-Za-z]{34}$/;

function randomLetters(count: number): string {
  let out = "";
  while (out.length < count) {
    for (const byte of randomBytes(count * 2)) {
      // 208 = 4 × 52: bytes above it would favour the first letters.
      if (byte < 208 && out.length < count) out += ALPHABET[byte % 52];
    }
  }
  return out;
}

function checkLetters(body: string): string {
  let value = crc32(body);
  let out = "";
  for (let i = 0; i < CHECK_LETTERS; i++) {
    out = ALPHABET[value % 52] + out;
    value = Math.floor(value / 52);
  }
  return out;
}

export function generateTokenValue(): string {
  const body = TOKEN_PREFIX + randomLetters(RANDOM_LETTERS);
  return body + checkLetters(body);
}

export function generateOAuthTokenValue(): string {
  const body = OAUTH_TOKEN_PREFIX + randomLetters(RANDOM_LETTERS);
  return body + checkLetters(body);
}

export function isWellFormedOAuthToken(value: string): boolean {
  if (!OAUTH_SHAPE.test(value)) return false;
  const split = value.length - CHECK_LETTERS;
  return checkLetters(value.slice(0, split)) === value.slice(split);
}

/** True when the value has the shape and its check letters match: no database needed. */
export function isWellFormedToken(value: string): boolean {
  if (!SHAPE.test(value)) return false;
  const body = value.slice(0, TOKEN_LENGTH - CHECK_LETTERS);
  return checkLetters(body) === value.slice(TOKEN_LENGTH - CHECK_LETTERS);
}

/** Keyed hash of a secret (token value or session id), hex. The only form that reaches storage. */
export function hashSecret(key: Buffer, value: string): string {
  return createHmac("sha256", key).update(value).digest("hex");
}

export function tokenHint(value: string): string {
  return `${TOKEN_PREFIX}…${value.slice(-4)}`;
}
