/**
 * Syntax highlighting for the file view, for a handful of common types (Python, JavaScript and
 * TypeScript, JSON, YAML, TOML and INI, shell, Markdown, and the C family). A small tokenizer of our
 * own rather than a package: none that fits is installed, and this needs only comments, strings,
 * numbers, keywords and keys. Pure and lossless (the tokens put back together are the input), linear in
 * the input (every rule is a sticky regex without nested quantifiers), and only ever emits text: the
 * page escapes it like any other.
 */

export type TokenKind = "comment" | "string" | "number" | "keyword" | "key" | "literal" | "meta";

export interface Token {
  /** Undefined for plain text. */
  readonly kind: TokenKind | undefined;
  readonly text: string;
}

export type Language = "python" | "javascript" | "json" | "yaml" | "toml" | "shell" | "markdown" | "c";

type Rule = readonly [TokenKind, RegExp];

interface Grammar {
  readonly rules: readonly Rule[];
  readonly keywords: ReadonlySet<string>;
  readonly literals: ReadonlySet<string>;
}

const words = (text: string): ReadonlySet<string> => new Set(text.split(" "));

const DOUBLE = /"(?:[^"\\\n]|\\.)*"?/y;
const SINGLE = /'(?:[^'\\\n]|\\.)*'?/y;
const NUMBER = /(?:0[xXoObB][\da-fA-F_]+|\d[\d_]*(?:\.\d[\d_]*)?(?:[eE][+-]?\d+)?)(?![\w$])/y;
const HASH_COMMENT = /(?<![^\s])#[^\n]*/y;

const GRAMMARS: Record<Language, Grammar> = {
  python: {
    rules: [
      ["comment", /#[^\n]*/y],
      ["string", /[rRbBuUfF]{0,2}"""[\s\S]*?(?:"""|$(?![\s\S]))/y],
      ["string", /[rRbBuUfF]{0,2}'''[\s\S]*?(?:'''|$(?![\s\S]))/y],
      ["string", /[rRbBuUfF]{0,2}"(?:[^"\\\n]|\\.)*"?/y],
      ["string", /[rRbBuUfF]{0,2}'(?:[^'\\\n]|\\.)*'?/y],
      ["meta", /@[A-Za-z_][\w.]*/y],
      ["number", NUMBER],
    ],
    keywords: words(
      "and as assert async await break class continue def del elif else except finally for from global if import in is lambda match case nonlocal not or pass raise return try while with yield",
    ),
    literals: words("True False None self"),
  },
  javascript: {
    rules: [
      ["comment", /\/\/[^\n]*/y],
      ["comment", /\/\*[\s\S]*?(?:\*\/|$(?![\s\S]))/y],
      ["string", DOUBLE],
      ["string", SINGLE],
      ["string", /`(?:[^`\\]|\\[\s\S])*`?/y],
      ["number", NUMBER],
    ],
    keywords: words(
      "async await break case catch class const continue default delete do else export extends finally for from function if import in instanceof interface let new of return static switch throw try type typeof var void while with yield enum implements private public protected readonly as",
    ),
    literals: words("true false null undefined this NaN Infinity"),
  },
  json: {
    rules: [
      ["key", /"(?:[^"\\\n]|\\.)*"(?=\s*:)/y],
      ["string", DOUBLE],
      ["number", /-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?/y],
    ],
    keywords: new Set(),
    literals: words("true false null"),
  },
  yaml: {
    rules: [
      ["comment", HASH_COMMENT],
      ["meta", /^(?:---|\.\.\.)(?=\s|$)/my],
      ["key", /(?<=^[ \t]*(?:- )?)(?!-[ \t])[^\s#:'"][^:\n]*?(?=:(?:[ \t]|$))/my],
      ["key", /(?<=^[ \t]*(?:- )?)(?:"(?:[^"\\\n]|\\.)*"|'[^'\n]*')(?=:(?:[ \t]|$))/my],
      ["string", DOUBLE],
      ["string", SINGLE],
      ["number", NUMBER],
    ],
    keywords: new Set(),
    literals: words("true false null yes no on off True False Null ~"),
  },
  toml: {
    rules: [
      ["comment", /(?<=^[ \t]*)[#;][^\n]*/my],
      ["comment", HASH_COMMENT],
      ["key", /(?<=^[ \t]*)\[[^\]\n]*\]+/my],
      ["key", /(?<=^[ \t]*)[\w.\-"' ]+?(?=[ \t]*=)/my],
      ["string", /"""[\s\S]*?(?:"""|$(?![\s\S]))/y],
      ["string", DOUBLE],
      ["string", SINGLE],
      ["number", NUMBER],
    ],
    keywords: new Set(),
    literals: words("true false"),
  },
  shell: {
    rules: [
      ["comment", HASH_COMMENT],
      ["string", DOUBLE],
      ["string", /'[^']*'?/y],
      ["meta", /\$(?:\{[^}\n]*\}?|[A-Za-z_]\w*|[0-9@#?$!*-])/y],
      ["number", NUMBER],
    ],
    keywords: words(
      "if then else elif fi for while until do done case esac in function return export local readonly set unset exit source",
    ),
    literals: words("true false"),
  },
  markdown: {
    rules: [
      ["keyword", /^#{1,6}[ \t][^\n]*/my],
      ["string", /^(?:```|~~~)[^\n]*\n[\s\S]*?(?:^(?:```|~~~)[ \t]*$|$(?![\s\S]))/my],
      ["string", /`[^`\n]+`/y],
      ["meta", /^[ \t]*(?:[-*+]|\d+\.)(?=[ \t])/my],
    ],
    keywords: new Set(),
    literals: new Set(),
  },
  c: {
    rules: [
      ["comment", /\/\/[^\n]*/y],
      ["comment", /\/\*[\s\S]*?(?:\*\/|$(?![\s\S]))/y],
      ["meta", /^[ \t]*#[ \t]*\w+/my],
      ["string", DOUBLE],
      ["string", SINGLE],
      ["number", NUMBER],
    ],
    keywords: words(
      "auto break case char const continue default do double else enum extern float for goto if inline int long register return short signed sizeof static struct switch typedef union unsigned void volatile while class namespace template typename public private protected virtual override new delete using fn let mut impl trait pub use mod match loop move ref self Self where func package import var type interface map chan go defer select range struct",
    ),
    literals: words("true false null nullptr NULL nil None Some Ok Err"),
  },
};

const EXTENSIONS: Record<string, Language> = {
  py: "python",
  pyi: "python",
  js: "javascript",
  mjs: "javascript",
  cjs: "javascript",
  jsx: "javascript",
  ts: "javascript",
  tsx: "javascript",
  mts: "javascript",
  json: "json",
  jsonl: "json",
  ipynb: "json",
  yaml: "yaml",
  yml: "yaml",
  toml: "toml",
  ini: "toml",
  cfg: "toml",
  sh: "shell",
  bash: "shell",
  zsh: "shell",
  md: "markdown",
  markdown: "markdown",
  c: "c",
  h: "c",
  cc: "c",
  cpp: "c",
  hpp: "c",
  cu: "c",
  rs: "c",
  go: "c",
  java: "c",
};

/** Names used after a Markdown code fence (```python) beyond the extensions. */
const FENCE_NAMES: Record<string, Language> = {
  python: "python",
  javascript: "javascript",
  typescript: "javascript",
  shell: "shell",
  console: "shell",
  yml: "yaml",
  cpp: "c",
  "c++": "c",
  rust: "c",
  golang: "c",
};

/** The language a Markdown code fence names (` ```python `), or undefined. */
export function languageOfFence(info: string): Language | undefined {
  const name = (info.trim().split(/\s/)[0] ?? "").toLowerCase();
  return FENCE_NAMES[name] ?? EXTENSIONS[name];
}

const NAMES: Record<string, Language> = { Dockerfile: "shell", Makefile: "shell", ".gitattributes": "shell" };

/** The language of a file by its name, or undefined for plain text. */
export function languageOf(path: string): Language | undefined {
  const name = path.slice(path.lastIndexOf("/") + 1);
  const named = NAMES[name];
  if (named) return named;
  const dot = name.lastIndexOf(".");
  return dot < 0 ? undefined : EXTENSIONS[name.slice(dot + 1).toLowerCase()];
}

const WORD = /[A-Za-z_$][\w$]*/y;
const PLAIN = /[^A-Za-z_$0-9"'`#/@\-[~.;*+$\n]+|[\s\S]/y;

/** The text as tokens, lossless: joined, the texts are `text` again. */
export function tokenize(text: string, language: Language): Token[] {
  const grammar = GRAMMARS[language];
  const tokens: Token[] = [];
  let plain = "";
  const push = (kind: TokenKind | undefined, value: string) => {
    if (kind === undefined) {
      plain += value;
      return;
    }
    if (plain) tokens.push({ kind: undefined, text: plain });
    plain = "";
    tokens.push({ kind, text: value });
  };
  let at = 0;
  outer: while (at < text.length) {
    for (const [kind, rule] of grammar.rules) {
      rule.lastIndex = at;
      const match = rule.exec(text);
      if (match && match[0].length > 0) {
        push(kind, match[0]);
        at += match[0].length;
        continue outer;
      }
    }
    WORD.lastIndex = at;
    const word = WORD.exec(text);
    if (word) {
      const value = word[0];
      push(grammar.keywords.has(value) ? "keyword" : grammar.literals.has(value) ? "literal" : undefined, value);
      at += value.length;
      continue;
    }
    PLAIN.lastIndex = at;
    const other = PLAIN.exec(text)?.[0] ?? (text[at] as string);
    push(undefined, other);
    at += other.length;
  }
  if (plain) tokens.push({ kind: undefined, text: plain });
  return tokens;
}

/** Tokens cut into lines at each newline (the newline itself dropped), for a line-numbered view. */
export function tokenLines(text: string, language: Language | undefined): Token[][] {
  const tokens = language ? tokenize(text, language) : [{ kind: undefined, text }];
  const lines: Token[][] = [[]];
  for (const token of tokens) {
    const parts = token.text.split("\n");
    parts.forEach((part, i) => {
      if (i > 0) lines.push([]);
      if (part) (lines[lines.length - 1] as Token[]).push({ kind: token.kind, text: part });
    });
  }
  // A final newline ends the last line; it does not start one more.
  if (lines.length > 1 && (lines[lines.length - 1] as Token[]).length === 0 && text.endsWith("\n")) lines.pop();
  return lines;
}
