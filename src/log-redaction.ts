import { TOKEN_PATTERN } from "./domain/token-format.ts";

/** Replaces anything token-shaped, and user:password in URLs, before a string reaches a log. */
export function redactTokens(text: string): string {
  return text.replace(TOKEN_PATTERN, "hf_[redacted]").replace(/\/\/[^/@\s]+:[^/@\s]+@/g, "//[redacted]@");
}
