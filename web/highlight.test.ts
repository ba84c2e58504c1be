import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { type Language, languageOf, tokenize, tokenLines } from "./highlight.ts";

/** The highlighted tokens of `text`, as `kind:text` strings, plain text left out. */
function marked(text: string, language: Language): string[] {
  return tokenize(text, language)
    .filter((token) => token.kind !== undefined)
    .map((token) => `${token.kind}:${token.text}`);
}

const LANGUAGES: Language[] = ["python", "javascript", "json", "yaml", "toml", "shell", "markdown", "c"];

describe("highlight", () => {
  it.each([
    ["model.py", "python"],
    ["src/index.ts", "javascript"],
    ["config.json", "json"],
    ["data/train.jsonl", "json"],
    [".github/ci.yml", "yaml"],
    ["pyproject.toml", "toml"],
    ["setup.cfg", "toml"],
    ["run.sh", "shell"],
    ["Dockerfile", "shell"],
    ["README.md", "markdown"],
    ["kernel.cu", "c"],
    ["model.safetensors", undefined],
    ["LICENSE", undefined],
  ])("knows %s as %s", (path, language) => {
    expect(languageOf(path)).toBe(language);
  });

  it.each<[string, Language, string[]]>([
    ['def f(x):\n    return "a" # note\n', "python", ["keyword:def", "keyword:return", 'string:"a"', "comment:# note"]],
    ['x = """doc\nmore"""\nNone', "python", ['string:"""doc\nmore"""', "literal:None"]],
    ["@torch.no_grad()\nx = 0x1F + 2.5e3", "python", ["meta:@torch.no_grad", "number:0x1F", "number:2.5e3"]],
    [
      "const a = `t` // c\n/* b */ let",
      "javascript",
      ["keyword:const", "string:`t`", "comment:// c", "comment:/* b */", "keyword:let"],
    ],
    [
      '{"hidden_size": 768, "tie": true, "name": "bert"}',
      "json",
      ['key:"hidden_size"', "number:768", 'key:"tie"', "literal:true", 'key:"name"', 'string:"bert"'],
    ],
    [
      "license: mit\ntags:\n  - text # c\n  - key: 'v'\n",
      "yaml",
      ["key:license", "key:tags", "comment:# c", "key:key", "string:'v'"],
    ],
    [
      '[tool.x]\nname = "b" # c\nn = 3\n',
      "toml",
      ["key:[tool.x]", "key:name", 'string:"b"', "comment:# c", "key:n", "number:3"],
    ],
    [
      'if [ -n "$HF" ]; then echo $X; fi # end',
      "shell",
      ["keyword:if", 'string:"$HF"', "keyword:then", "meta:$X", "keyword:fi", "comment:# end"],
    ],
    ["# Title\n\nSome `code` here\n- item\n", "markdown", ["keyword:# Title", "string:`code`", "meta:-"]],
    ["#include <x>\nint main() { return 0; }", "c", ["meta:#include", "keyword:int", "keyword:return", "number:0"]],
  ])("marks %j in %s", (text, language, expected) => {
    expect(marked(text, language)).toEqual(expected);
  });

  it("gives back exactly its input, for every language and any text", () => {
    fc.assert(
      fc.property(fc.constantFrom(...LANGUAGES), fc.string({ maxLength: 200 }), (language, text) => {
        expect(
          tokenize(text, language)
            .map((token) => token.text)
            .join(""),
        ).toBe(text);
      }),
      { numRuns: 500 },
    );
  });

  it("keeps markup as text: a token is never more than the characters it covers", () => {
    const text = '<script>alert("x")</script>\n# <img src=x onerror=alert(1)>';
    for (const language of LANGUAGES) {
      expect(
        tokenize(text, language)
          .map((t) => t.text)
          .join(""),
      ).toBe(text);
    }
  });

  it("cuts tokens into lines, a multi-line string on each of its lines", () => {
    const lines = tokenLines('a = """x\ny"""\nb\n', "python");
    expect(lines.map((line) => line.map((t) => t.text).join(""))).toEqual(['a = """x', 'y"""', "b"]);
    expect(lines[1]?.[0]).toEqual({ kind: "string", text: 'y"""' });
    expect(tokenLines("", undefined)).toEqual([[]]);
    expect(tokenLines("one\n\nthree", undefined).length).toBe(3);
  });

  it("handles long hostile input in one pass", () => {
    for (const language of LANGUAGES) {
      for (const unit of ['"\\', "/*", "'''", "a:", "#", "- ", "`"]) {
        const text = unit.repeat(20_000);
        expect(tokenize(text, language).reduce((n, t) => n + t.text.length, 0)).toBe(text.length);
      }
    }
  });
});
