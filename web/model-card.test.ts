import { describe, expect, it } from "vitest";
import type { RemoteImages } from "../src/config.ts";
import { type CardOptions, readMetadata, renderCard, splitFrontMatter } from "./model-card.ts";

const OPTIONS: CardOptions = {
  repoPath: "/alice/bert",
  revision: "main",
  remoteImages: { type: "none" },
  localImages: true,
};

const render = (text: string, options: Partial<CardOptions> = {}) =>
  renderCard(text, { ...OPTIONS, ...options }).body.toString();

/** Everything that would let a card run script, load from elsewhere, post, or restyle the page. */
function expectInert(out: string): void {
  expect(out).not.toMatch(
    /<(script|style|iframe|frame|object|embed|form|input|button|textarea|svg|math|link|meta|base|video|audio|source|noscript|template)\b/i,
  );
  expect(out).not.toMatch(/\son[a-z]+\s*=/i);
  expect(out).not.toMatch(/\s(style|id|name|srcset|formaction|xlink:href)\s*=/i);
  expect(out).not.toMatch(/(href|src)\s*=\s*"\s*(javascript|vbscript|data:text|file):/i);
  // A link to another site is fine (nothing loads until it is followed); an image from one is not.
  expect(out).not.toMatch(/src\s*=\s*"(https?:)?\/\/evil/i);
}

describe("model card", () => {
  it.each([
    ["<script>alert(1)</script>"],
    ["<img src=x onerror=alert(1)>"],
    ['<a href="javascript:alert(1)">x</a>'],
    ['<a href="jav&#x09;ascript:alert(1)">x</a>'],
    ['<a href=" &#14;javascript:alert(1)">x</a>'],
    ["[x](javascript:alert(1))"],
    ["[x](JaVaScRiPt:alert(1))"],
    ["<iframe src=https://evil.example></iframe>"],
    ["<style>body { display: none }</style>"],
    ['<div style="position:fixed;inset:0;z-index:9999">cover</div>'],
    ["<svg><script>alert(1)</script></svg>"],
    ["<svg onload=alert(1)>"],
    ['<form action="/logout" method="post"><button>Sign out</button></form>'],
    ["<object data=https://evil.example/x.swf></object><embed src=https://evil.example/x>"],
    ['<meta http-equiv="refresh" content="0;url=https://evil.example"><base href="https://evil.example/">'],
    ['<link rel="stylesheet" href="https://evil.example/x.css">'],
    ["<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>"],
    ['<noscript><p title="</noscript><img src=x onerror=alert(1)>">'],
    ["<textarea><img src=x onerror=alert(1)></textarea>"],
    ['<img src="data:image/svg+xml;base64,PHN2ZyBvbmxvYWQ9YWxlcnQoMSk+">'],
    ['<img src="data:text/html,<script>alert(1)</script>">'],
    ["![t](https://evil.example/track.png)"],
    ["<img src='//evil.example/x.png'>"],
    ['<img srcset="https://evil.example/a.png 1x" src="a.png">'],
    ['<h1 id="main" name="x">Title</h1>'],
    ['<a href="https://evil.example" target="_blank" class="button primary">x</a>'],
    ['<video src="https://evil.example/v.mp4" autoplay></video>'],
    ["<template><script>alert(1)</script></template>"],
  ])("keeps %j inert", (payload) => {
    expectInert(render(payload));
    expectInert(render(`# Card\n\n${payload}\n\nafter`));
  });

  it("keeps a link to another site as a link, marked nofollow and without the referrer", () => {
    expect(render("[site](https://example.org/a)")).toContain(
      '<a href="https://example.org/a" rel="nofollow noopener noreferrer">site</a>',
    );
  });

  it("resolves links and images inside the repo at the card's revision", () => {
    const out = render(
      "![logo](./images/logo%20one.png) [config](config.json#L2) [up](sub/../LICENSE) [out](../../x)",
      {
        revision: "v1.0",
      },
    );
    expect(out).toContain('src="/alice/bert/resolve/v1.0/images/logo%20one.png"');
    expect(out).toContain('href="/alice/bert/blob/v1.0/config.json#L2"');
    expect(out).toContain('href="/alice/bert/blob/v1.0/LICENSE"');
    expect(out).toContain("<a>out</a>");
  });

  it("shows a repo image as its alt text when the viewer may not read the files", () => {
    const out = render("![a chart](chart.png)", { localImages: false });
    expect(out).not.toContain("<img");
    expect(out).toContain("[image: a chart]");
  });

  it.each<[RemoteImages, boolean, boolean]>([
    [{ type: "none" }, false, false],
    [{ type: "any" }, true, false],
    [{ type: "origins", origins: ["https://img.example.org"] }, true, false],
    [{ type: "origins", origins: ["https://other.example.org"] }, false, false],
  ])("loads a remote https image only when allowed (%j)", (remoteImages, loaded) => {
    const out = render("![pic](https://img.example.org/a.png) ![plain](http://img.example.org/b.png)", {
      remoteImages,
    });
    expect(out.includes('<img alt="pic" src="https://img.example.org/a.png"')).toBe(loaded);
    // Plain http is never loaded: it would be mixed content, and visible to the network.
    expect(out).not.toContain('src="http://img.example.org/b.png"');
    expect(out).toContain("Remote image, not loaded: plain");
  });

  it("moves headings one level down, so the page keeps its one h1", () => {
    const out = render("# One\n## Two\n###### Six\n<h1>raw</h1>");
    expect(out).not.toContain("<h1");
    expect(out).toContain("<h2>One</h2>");
    expect(out).toContain("<h3>Two</h3>");
    expect(out).toContain("<h6>Six</h6>");
    expect(out).toContain("<h2>raw</h2>");
  });

  it("highlights a fenced code block with the page's own classes and escapes its text", () => {
    const out = render('```python\nprint("<b>")  # hi\n```');
    expect(out).toContain('<span class="hl-string">"&lt;b&gt;"</span>');
    expect(out).toContain('<span class="hl-comment"># hi</span>');
  });

  it("never shows the front matter as text, and reads the Hub's fields from it", () => {
    const card = renderCard(
      "---\nlicense: apache-2.0\nlibrary_name: transformers\npipeline_tag: fill-mask\ndatasets:\n  - wiki\nbase_model: google/bert\nlanguage: [en, fr]\ntags: [a, b]\n---\n# Body\n",
      OPTIONS,
    );
    expect(card.body.toString()).not.toContain("license");
    expect(card.body.toString()).not.toContain("---");
    expect(card.metadata).toEqual({
      license: "apache-2.0",
      library: "transformers",
      pipeline: "fill-mask",
      datasets: ["wiki"],
      baseModels: ["google/bert"],
      languages: ["en", "fr"],
      tags: ["a", "b"],
    });
  });

  it.each([
    ["---\nlicense: [\n---\nbody", "error"],
    ["---\n- a\n- b\n---\nbody", "error"],
    ["---\n---\nbody", "empty"],
    ["---\r\nlicense: mit\r\n---\r\nbody", "ok"],
    ["---\na: &x [*x]\nlicense: mit\n---\nbody", "ok"],
  ])("reads the front matter of %j defensively (%s)", (text, outcome) => {
    const card = renderCard(text, OPTIONS);
    expect(card.body.toString()).toBe("<p>body</p>\n");
    if (outcome === "error") expect(card.metadataError).toBeTruthy();
    if (outcome === "ok") expect(card.metadata?.license).toBe("mit");
    if (outcome === "empty") expect([card.metadata, card.metadataError]).toEqual([undefined, undefined]);
  });

  it("bounds what it takes from the metadata", () => {
    const tags = Array.from({ length: 100 }, (_, i) => `t${i}`);
    const { metadata } = readMetadata(`tags: [${tags.join(", ")}]\nlicense: ${"x".repeat(500)}\n`);
    expect(metadata?.tags.length).toBe(30);
    expect(metadata?.license).toBeUndefined();
    // A billion-laughs block stops at the alias limit instead of expanding.
    const laughs = ["a: &a [x, x, x, x, x, x, x, x, x]"];
    for (let i = 1; i < 12; i++)
      laughs.push(
        `${"b".repeat(i)}: &${"b".repeat(i)} [${Array(9)
          .fill(`*${i === 1 ? "a" : "b".repeat(i - 1)}`)
          .join(", ")}]`,
      );
    expect(readMetadata(laughs.join("\n")).error).toBeTruthy();
  });

  it("splits front matter only at the very start", () => {
    expect(splitFrontMatter("text\n---\na: 1\n---\n").yaml).toBeUndefined();
    expect(splitFrontMatter("---\na: 1\n---\nrest")).toEqual({ yaml: "a: 1", body: "rest" });
  });
});
