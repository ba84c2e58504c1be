const UNIT_SECONDS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86400, w: 604800, y: 31536000 };

/** Parses `90d`, `12h`, `30m`, `45s` (also `w`, `y`) into seconds; undefined when malformed or zero. */
export function parseDuration(text: string): number | undefined {
  const match = /^(\d{1,6})([smhdwy])$/.exec(text.trim());
  if (!match) return undefined;
  const seconds = Number(match[1]) * (UNIT_SECONDS[match[2] as string] ?? 0);
  return seconds > 0 ? seconds : undefined;
}
