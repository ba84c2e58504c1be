/**
 * `POST /api/validate-yaml` (hub-api.md §8.5): Python posts a README.md here before committing it and
 * reads the JSON before the status. 200 `{errors: [], warnings: [...]}` when the card is usable (a card
 * without metadata only warns); 400 `{errors: [{message}]}` when the front matter cannot be metadata.
 *
 * No YAML library is installed, so this checks the shape the Hub relies on rather than full YAML: a
 * closed `---` block whose top level is a mapping of `key: value` lines, no tab indentation, and
 * `model-index` given as a list. Anything subtler is accepted: the server never interprets card metadata.
 */
import type { FastifyInstance } from "fastify";
import { z } from "zod";
import { HubError } from "../../errors.ts";

const body = z.object({ content: z.string().max(10_000_000), repoType: z.string().optional() });

interface Message {
  readonly message: string;
}

export function registerValidateYamlRoutes(app: FastifyInstance): void {
  app.post("/api/validate-yaml", { bodyLimit: 16 * 1024 * 1024 }, async (request, reply) => {
    const parsed = body.safeParse(request.body);
    if (!parsed.success) throw new HubError("BadRequest", "Send {content, repoType} as JSON");
    const { errors, warnings } = validateCard(parsed.data.content);
    if (errors.length > 0) return reply.code(400).send({ errors, warnings, error: errors[0]?.message });
    return { errors, warnings };
  });
}

export function validateCard(content: string): { errors: Message[]; warnings: Message[] } {
  const lines = content.replace(/^\uFEFF/, "").split(/\r?\n/);
  if (lines[0]?.trim() !== "---") {
    return { errors: [], warnings: [{ message: "Empty or missing yaml metadata in repo card" }] };
  }
  const close = lines.findIndex((line, i) => i > 0 && (line.trim() === "---" || line.trim() === "..."));
  if (close < 0) return { errors: [{ message: "The YAML metadata block is not closed with ---" }], warnings: [] };
  const block = lines.slice(1, close);
  const errors: Message[] = [];
  const keys = new Map<string, number>();
  let openKey = false;
  block.forEach((line, i) => {
    if (line.trim() === "" || line.trimStart().startsWith("#")) return;
    const at = `line ${i + 2}`;
    if (/^\s*\t/.test(line)) errors.push({ message: `YAML metadata: tab indentation on ${at}` });
    if (/^\s/.test(line)) return; // nested content of the previous key
    if (openKey && /^-(\s|$)/.test(line)) return; // `key:` followed by an unindented list
    const match = /^("[^"]*"|'[^']*'|[^\s:#][^:]*?)\s*:(?:\s+(.*)|)$/.exec(line);
    if (!match) {
      errors.push({ message: `YAML metadata must be a mapping of "key: value" lines (${at})` });
      return;
    }
    keys.set((match[1] as string).replace(/^["']|["']$/g, ""), i);
    openKey = (match[2] ?? "").trim() === "";
  });
  const modelIndex = keys.get("model-index");
  if (modelIndex !== undefined) {
    const value = /:\s*(.*)$/.exec(block[modelIndex] ?? "")?.[1]?.trim() ?? "";
    const next = block.slice(modelIndex + 1).find((line) => line.trim() !== "" && !line.trimStart().startsWith("#"));
    const isList = value.startsWith("[") || (value === "" && next !== undefined && /^\s*-/.test(next));
    if (!isList) errors.push({ message: '"model-index" must be an array' });
  }
  const warnings = keys.size === 0 ? [{ message: "Empty or missing yaml metadata in repo card" }] : [];
  return { errors, warnings };
}
