import type { Token } from "./highlight.ts";
import { html, type SafeHtml } from "./html.ts";

/** One line of tokens as escaped text in `hl-*` spans (styled by app.css). */
export function highlightedLine(tokens: readonly Token[]): SafeHtml {
  return html`${tokens.map((token) => (token.kind ? html`<span class="hl-${token.kind}">${token.text}</span>` : token.text))}`;
}

/** Lines of tokens joined by newlines, for a `<pre><code>` block. */
export function highlightedText(lines: readonly (readonly Token[])[]): SafeHtml {
  return html`${lines.map((line, i) => html`${i > 0 && "\n"}${highlightedLine(line)}`)}`;
}
