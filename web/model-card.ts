/**
 * A repo's README.md as a model card: YAML front matter read into metadata (shown as tags, never as
 * text), the Markdown rendered by markdown-it (raw HTML allowed, as on the Hub) and the result passed
 * through sanitize-html with an allowlist. Nothing of the card can run script, submit a form, load
 * anything from another site the administrator did not allow, or style itself out of its box:
 *
 * - no script, style, iframe, object, form, input, svg, math or landmark elements; no `style`, `id`,
 *   `name`, event-handler or `class` attribute (except the highlighter's own `hl-*` on spans);
 * - link and image URLs keep only http(s), mailto and in-page anchors; a relative link points into the
 *   repo at the card's revision (`blob/`), a relative image at its bytes (`resolve/`, served with the
 *   repo-bytes sandbox); a remote image stays an image only when its origin is allowed
 *   (BERTH_CARD_IMAGE_ORIGINS), otherwise it becomes a plain link, and the page's CSP agrees;
 * - headings move one level down, so the card never adds a second `h1` to the page.
 *
 * Pure: the caller reads the bytes and caches the result by blob id.
 */
import MarkdownIt from "markdown-it";
import sanitizeHtml, { type Attributes, type Tag } from "sanitize-html";
import { parse as parseYaml } from "yaml";
import type { RemoteImages } from "../src/config.ts";
import { languageOfFence, tokenLines } from "./highlight.ts";
import { highlightedText } from "./highlighted-text.ts";
import { raw, type SafeHtml } from "./html.ts";

export interface CardMetadata {
  readonly license: string | undefined;
  readonly library: string | undefined;
  readonly pipeline: string | undefined;
  readonly datasets: readonly string[];
  readonly baseModels: readonly string[];
  readonly languages: readonly string[];
  readonly tags: readonly string[];
}

export interface RenderedCard {
  readonly body: SafeHtml;
  readonly metadata: CardMetadata | undefined;
  /** Set when the front matter is there but is not valid YAML (the page says so instead of showing it). */
  readonly metadataError: string | undefined;
}

export interface CardOptions {
  /** The repo's path below the site, e.g. `/alice/bert` or `/datasets/alice/data`. */
  readonly repoPath: string;
  /** The revision links and images point at (a branch name or a commit id), URL-encoded by the caller. */
  readonly revision: string;
  readonly remoteImages: RemoteImages;
  /** False when the viewer may not read the repo's files (a gated repo): images show their alt text. */
  readonly localImages: boolean;
}

const MAX_LIST = 30;
const MAX_TEXT = 120;

/** Splits `---\n…\n---` front matter from the body; CRLF files too. */
export function splitFrontMatter(text: string): { yaml: string | undefined; body: string } {
  const match = /^---[ \t]*\r?\n(?:([\s\S]*?)\r?\n)?(?:---|\.\.\.)[ \t]*(?:\r?\n|$)/.exec(text);
  if (!match) return { yaml: undefined, body: text };
  return { yaml: match[1] ?? "", body: text.slice(match[0].length) };
}

function oneText(value: unknown): string | undefined {
  if (typeof value === "number" || typeof value === "boolean") return String(value);
  if (typeof value !== "string") return undefined;
  const trimmed = value.trim();
  return trimmed.length > 0 && trimmed.length <= MAX_TEXT ? trimmed : undefined;
}

function texts(value: unknown): string[] {
  const list = Array.isArray(value) ? value : [value];
  const out: string[] = [];
  for (const item of list) {
    const text = oneText(item);
    if (text !== undefined && !out.includes(text)) out.push(text);
    if (out.length >= MAX_LIST) break;
  }
  return out;
}

/** The fields the card shows, read defensively: YAML may hold anything. */
export function readMetadata(yaml: string): { metadata: CardMetadata | undefined; error: string | undefined } {
  let data: unknown;
  try {
    data = parseYaml(yaml, { maxAliasCount: 50, prettyErrors: false, uniqueKeys: false });
  } catch (error) {
    return { metadata: undefined, error: (error as Error).message.split("\n")[0]?.slice(0, 200) };
  }
  if (data === null || data === undefined) return { metadata: undefined, error: undefined };
  if (typeof data !== "object" || Array.isArray(data)) {
    return { metadata: undefined, error: "The metadata block must be a mapping of keys to values" };
  }
  const record = data as Record<string, unknown>;
  return {
    metadata: {
      license: texts(record.license).join(", ") || undefined,
      library: oneText(record.library_name),
      pipeline: oneText(record.pipeline_tag),
      datasets: texts(record.datasets),
      baseModels: texts(record.base_model),
      languages: texts(record.language),
      tags: texts(record.tags),
    },
    error: undefined,
  };
}

const markdown = new MarkdownIt({
  html: true,
  linkify: true,
  highlight: (code, info) => {
    const language = languageOfFence(info);
    return language ? highlightedText(tokenLines(code, language)).toString() : "";
  },
});

const ALLOWED_TAGS = [
  ...["h1", "h2", "h3", "h4", "h5", "h6", "p", "blockquote", "pre", "code", "hr", "br", "div", "span"],
  ...["ul", "ol", "li", "dl", "dt", "dd", "a", "img", "figure", "figcaption", "details", "summary"],
  ...["b", "i", "em", "strong", "s", "del", "ins", "u", "sub", "sup", "small", "mark", "kbd", "samp", "var", "q"],
  ...["abbr", "cite", "dfn", "time", "wbr", "ruby", "rp", "rt"],
  ...["table", "caption", "colgroup", "col", "thead", "tbody", "tfoot", "tr", "th", "td"],
];

const HEADING_DOWN: Record<string, string> = { h1: "h2", h2: "h3", h3: "h4", h4: "h5", h5: "h6", h6: "h6" };

/** `a/b/../c` → `a/c`; undefined when it climbs out of the repo. */
function repoPathOf(reference: string): string | undefined {
  const clean = reference.split(/[?#]/)[0] ?? "";
  let decoded: string;
  try {
    decoded = decodeURIComponent(clean);
  } catch {
    return undefined;
  }
  const parts: string[] = [];
  for (const segment of decoded.split("/")) {
    if (segment === "" || segment === ".") continue;
    if (segment === "..") {
      if (parts.length === 0) return undefined;
      parts.pop();
    } else if (segment.includes("\\") || segment.includes("\0")) return undefined;
    else parts.push(segment);
  }
  return parts.length > 0 ? parts.join("/") : undefined;
}

const encodePath = (path: string) => path.split("/").map(encodeURIComponent).join("/");

type Reference =
  | { type: "anchor" | "site" | "web"; url: string }
  | { type: "repo"; path: string; suffix: string }
  | { type: "data-image"; url: string }
  | { type: "bad" };

/** Drops C0 control characters and spaces at both ends (code points up to U+0020). */
function trimControls(text: string): string {
  let start = 0;
  let end = text.length;
  while (start < end && text.charCodeAt(start) <= 0x20) start++;
  while (end > start && text.charCodeAt(end - 1) <= 0x20) end--;
  return text.slice(start, end);
}

function classify(url: string): Reference {
  // As a browser reads a URL: tabs and newlines anywhere and control characters at the ends are dropped.
  const value = trimControls(url.replace(/[\t\n\r]/g, ""));
  if (value.startsWith("#")) return { type: "anchor", url: value };
  if (value.startsWith("//")) return { type: "web", url: `https:${value}` };
  const scheme = /^([A-Za-z][A-Za-z0-9+.-]*):/.exec(value)?.[1]?.toLowerCase();
  if (scheme === "http" || scheme === "https" || scheme === "mailto") return { type: "web", url: value };
  if (scheme === "data") {
    return /^data:image\/(?:png|gif|jpeg|webp);base64,[A-Za-z0-9+/=\s]+$/i.test(value)
      ? { type: "data-image", url: value }
      : { type: "bad" };
  }
  if (scheme !== undefined) return { type: "bad" };
  if (value.startsWith("/")) return { type: "site", url: value };
  const path = repoPathOf(value);
  if (path === undefined) return { type: "bad" };
  const suffix = /#.*$/.exec(value)?.[0] ?? "";
  return { type: "repo", path, suffix };
}

function originAllowed(url: string, policy: RemoteImages): boolean {
  if (policy.type === "none") return false;
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return false;
  }
  if (parsed.protocol !== "https:") return false;
  return policy.type === "any" || policy.origins.includes(parsed.origin);
}

const EXTERNAL_REL = "nofollow noopener noreferrer";

function sanitize(rendered: string, options: CardOptions): string {
  const base = options.repoPath;
  return sanitizeHtml(rendered, {
    allowedTags: ALLOWED_TAGS,
    allowedAttributes: {
      a: ["href", "title", "rel"],
      img: ["src", "alt", "title", "width", "height"],
      th: ["colspan", "rowspan", "align"],
      td: ["colspan", "rowspan", "align"],
      ol: ["start", "reversed"],
      details: ["open"],
      time: ["datetime"],
      span: ["class"],
      "*": ["lang", "dir"],
    },
    allowedClasses: { span: ["hl-*"] },
    allowedSchemes: ["http", "https", "mailto"],
    allowedSchemesByTag: { img: ["http", "https", "data"] },
    allowProtocolRelative: false,
    disallowedTagsMode: "discard",
    nestingLimit: 100,
    transformTags: {
      ...Object.fromEntries(
        Object.entries(HEADING_DOWN).map(([from, to]) => [from, sanitizeHtml.simpleTransform(to, {})]),
      ),
      a: (_tag, attribs): Tag => {
        const reference = classify(attribs.href ?? "");
        const { href: _href, ...rest }: Attributes = attribs;
        switch (reference.type) {
          case "anchor":
          case "site":
            return { tagName: "a", attribs: { ...rest, href: reference.url } };
          case "web":
            return { tagName: "a", attribs: { ...rest, href: reference.url, rel: EXTERNAL_REL } };
          case "repo":
            return {
              tagName: "a",
              attribs: {
                ...rest,
                href: `${base}/blob/${options.revision}/${encodePath(reference.path)}${reference.suffix}`,
              },
            };
          default:
            return { tagName: "a", attribs: rest };
        }
      },
      img: (_tag, attribs): Tag => {
        const reference = classify(attribs.src ?? "");
        const alt = (attribs.alt ?? "").slice(0, 200);
        const { src: _src, ...rest }: Attributes = attribs;
        if (reference.type === "repo" || reference.type === "site") {
          if (!options.localImages) return { tagName: "span", attribs: {}, text: alt ? `[image: ${alt}]` : "[image]" };
          const src =
            reference.type === "repo"
              ? `${base}/resolve/${options.revision}/${encodePath(reference.path)}`
              : reference.url;
          return { tagName: "img", attribs: { ...rest, alt, src } };
        }
        if (reference.type === "data-image") return { tagName: "img", attribs: { ...rest, alt, src: reference.url } };
        if (reference.type === "web" && reference.url.startsWith("mailto:")) return { tagName: "span", attribs: {} };
        if (reference.type === "web" && originAllowed(reference.url, options.remoteImages)) {
          return { tagName: "img", attribs: { ...rest, alt, src: reference.url } };
        }
        if (reference.type === "web") {
          return {
            tagName: "a",
            attribs: { href: reference.url, rel: EXTERNAL_REL },
            text: `Remote image, not loaded${alt ? `: ${alt}` : ""}`,
          };
        }
        return { tagName: "span", attribs: {}, text: alt };
      },
    },
  });
}

/** Renders a README.md (front matter and Markdown) as a card. */
export function renderCard(text: string, options: CardOptions): RenderedCard {
  const { yaml, body } = splitFrontMatter(text);
  const { metadata, error } = yaml === undefined ? { metadata: undefined, error: undefined } : readMetadata(yaml);
  return { body: raw(sanitize(markdown.render(body), options)), metadata, metadataError: error };
}

/** The `img-src` sources a card page needs for the remote images it may show. */
export function cardImageSources(policy: RemoteImages): string[] {
  if (policy.type === "any") return ["https:"];
  if (policy.type === "origins") return [...policy.origins];
  return [];
}
