/**
 * An auto-escaping `html` tagged template. Every interpolated value is escaped for HTML text and
 * attribute context (both double- and single-quoted) unless it is already `SafeHtml`, which only this
 * module, `raw` and nested `html` templates produce. Arrays are joined, `undefined`/`null`/`false` render
 * as nothing, so `${cond && html`…`}` works. Nothing user-supplied may ever reach `raw`.
 */
export class SafeHtml {
  readonly #value: string;
  constructor(value: string) {
    this.#value = value;
  }
  toString(): string {
    return this.#value;
  }
}

const ESCAPES: Record<string, string> = {
  "&": "&amp;",
  "<": "&lt;",
  ">": "&gt;",
  '"': "&quot;",
  "'": "&#39;",
  "`": "&#96;",
};

export function escapeHtml(value: string): string {
  return value.replace(/[&<>"'`]/g, (char) => ESCAPES[char] ?? char);
}

export type HtmlValue = SafeHtml | string | number | boolean | null | undefined | readonly HtmlValue[];

function render(value: HtmlValue): string {
  if (value === undefined || value === null || value === false || value === true) return "";
  if (value instanceof SafeHtml) return value.toString();
  if (Array.isArray(value)) return value.map(render).join("");
  return escapeHtml(String(value));
}

export function html(strings: TemplateStringsArray, ...values: readonly HtmlValue[]): SafeHtml {
  let out = strings[0] ?? "";
  for (let i = 0; i < values.length; i++) out += render(values[i]) + (strings[i + 1] ?? "");
  return new SafeHtml(out);
}

/** Marks a string as HTML. Only for markup this code base wrote itself, never for input. */
export function raw(markup: string): SafeHtml {
  return new SafeHtml(markup);
}
