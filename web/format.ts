/** Display helpers shared by the pages. */

export function formatBytes(size: number): string {
  if (size < 1024) return `${size} B`;
  const units = ["kB", "MB", "GB", "TB"];
  let value = size / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${value.toFixed(value < 10 ? 1 : 0)} ${units[unit]}`;
}

/** `2024-05-01 12:30 UTC`: unambiguous, the same for every viewer, no client-side script needed. */
export function formatDate(date: Date | undefined): string {
  if (!date) return "";
  return `${date.toISOString().slice(0, 16).replace("T", " ")} UTC`;
}
